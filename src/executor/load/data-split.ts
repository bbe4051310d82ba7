/**
 * Splits a core module into its code and its data. Every componentize-js component carries
 * the same 9 MB engine and differs only in the data segments its build snapshotted (2.8 MB):
 * with the data taken out, eight components compile one module, whose lazily compiled functions
 * they share too, and each instance gets its component's data written into its fresh memory
 * before any of its code runs (`worker/data-image.ts`).
 *
 * The code keeps a data section with as many segments as before, each emptied and moved to
 * offset 0 (components place their segments differently): segment indices and the data count
 * stay as they were, and the bounds checks instantiation made are made when the data is written.
 * Only what can be moved exactly is split: a module whose segments are all active, at constant
 * offsets in ascending order, in a memory the module defines and exports, and no start
 * function. Anything else (a passive segment `memory.init` would copy from, an imported memory,
 * an offset read from a global, segments out of order, a start function that would run before
 * the data is written) is compiled whole, as before.
 */
import { concat } from '../../util/bytes.js';
import type { DataImage } from '../guest-spec.js';
import { EXTERNAL_KIND, SECTION, encodeU32, importedCounts, isCoreModule, readU32, section, sections } from './wasm-binary.js';

const I32_CONST = 0x41;
const END = 0x0b;

/**
 * Segments closer than this are written as one run, the gap with them: fewer, larger copies.
 * The gap is written as zeros, which is what a fresh memory holds there anyway.
 */
const RUN_GAP = 4096;

export interface SplitModule {
  /** The module with every data segment emptied. */
  code: Uint8Array;
  image: DataImage;
}

/** Reads a signed LEB128 i32 at `pos`. */
function readI32(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined || shift >= 35) throw new Error('malformed i32');
    value |= (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      if (shift < 32 && byte & 0x40) value |= -1 << shift;
      return { value, next: pos };
    }
  }
}

/** The name memory 0 is exported under, if it is. */
function memoryExport(bytes: Uint8Array, start: number): string | undefined {
  let { value: count, next: pos } = readU32(bytes, start);
  while (count-- > 0) {
    const name = readU32(bytes, pos);
    const kind = bytes[name.next + name.value];
    const index = readU32(bytes, name.next + name.value + 1);
    if (kind === EXTERNAL_KIND.memory && index.value === 0) return new TextDecoder().decode(bytes.subarray(name.next, name.next + name.value));
    pos = index.next;
  }
  return undefined;
}

interface Segment {
  offset: number;
  bytes: Uint8Array;
}

/** The data section's segments, or undefined when one is not active at a constant offset in memory 0. */
function activeSegments(bytes: Uint8Array, start: number): Segment[] | undefined {
  let { value: count, next: pos } = readU32(bytes, start);
  const segments: Segment[] = [];
  while (count-- > 0) {
    if (bytes[pos] !== 0x00 || bytes[pos + 1] !== I32_CONST) return undefined;
    const offset = readI32(bytes, pos + 2);
    if (bytes[offset.next] !== END || offset.value < 0) return undefined;
    const size = readU32(bytes, offset.next + 1);
    segments.push({ offset: offset.value, bytes: bytes.subarray(size.next, size.next + size.value) });
    pos = size.next + size.value;
  }
  return segments;
}

/**
 * The segments as runs, or undefined when a segment starts before the one before it: a run's
 * gaps are written as zeros, which must not land on what an earlier run wrote. Within a run
 * segments are written in order, so a later one still overwrites an earlier one it overlaps.
 */
function runsOf(segments: Segment[]): DataImage | undefined {
  const runs: Array<{ offset: number; parts: Segment[]; end: number }> = [];
  for (const segment of segments) {
    const last = runs.at(-1);
    if (last && segment.offset < last.parts.at(-1)!.offset) return undefined;
    if (last && segment.offset <= last.end + RUN_GAP) {
      last.parts.push(segment);
      last.end = Math.max(last.end, segment.offset + segment.bytes.length);
    } else runs.push({ offset: segment.offset, parts: [segment], end: segment.offset + segment.bytes.length });
  }
  const total = runs.reduce((sum, run) => sum + run.end - run.offset, 0);
  const data = new Uint8Array(new SharedArrayBuffer(total));
  let at = 0;
  for (const run of runs) {
    for (const part of run.parts) data.set(part.bytes, at + part.offset - run.offset);
    at += run.end - run.offset;
  }
  return { memory: '', runs: runs.map((run) => [run.offset, run.end - run.offset]), data };
}

/** `module` split into code and data, or undefined when its data cannot be moved exactly. */
export function splitData(module: Uint8Array): SplitModule | undefined {
  if (!isCoreModule(module)) return undefined;
  const all = sections(module);
  const find = (id: number) => all.find((s) => s.id === id);
  const data = find(SECTION.data);
  const memory = find(SECTION.memory);
  const exports = find(SECTION.export);
  const imports = find(SECTION.import);
  // A start function runs inside instantiation, before the data could be written.
  if (!data || !memory || !exports || find(SECTION.start)) return undefined;
  try {
    if (imports && importedCounts(module, imports.contentStart, imports.end).memories > 0) return undefined;
    const exported = memoryExport(module, exports.contentStart);
    const segments = activeSegments(module, data.contentStart);
    if (exported === undefined || !segments || segments.length === 0) return undefined;
    const image = runsOf(segments);
    if (!image) return undefined;
    const empty = Uint8Array.of(0x00, I32_CONST, 0x00, END, 0x00);
    const emptied = concat([encodeU32(segments.length), ...segments.map(() => empty)]);
    const code = concat([module.subarray(0, data.start), section(SECTION.data, emptied), module.subarray(data.end)]);
    return { code, image: { ...image, memory: exported } };
  } catch {
    return undefined;
  }
}
