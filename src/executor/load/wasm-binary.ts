/**
 * Reading and writing the pieces of the core Wasm binary format that Spindle's module rewriters
 * need: the header, section framing, LEB128 numbers, names, limits and the import section.
 */
import { concat } from '../../util/bytes.js';

/** Section ids. The tag section is numbered 13 but placed before the global section. */
export const SECTION = { import: 2, memory: 5, global: 6, export: 7, start: 8, data: 11, tag: 13 } as const;

/** What an import or export is: its kind byte. */
export const EXTERNAL_KIND = { func: 0x00, table: 0x01, memory: 0x02, global: 0x03, tag: 0x04 } as const;

/**
 * A construct a rewriter here does not read (a reference type of the GC proposal, an unknown
 * opcode or import kind); the rewriter gives up and the module is used as it is.
 */
export class UnreadableModuleError extends Error {
  override name = 'UnreadableModuleError';
}

/** One-byte value types: numbers, v128, funcref, externref. */
const SIMPLE_VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

/** The offset past the value type at `pos`. */
export function skipValtype(bytes: Uint8Array, pos: number): number {
  if (!SIMPLE_VALTYPES.has(bytes[pos]!)) throw new UnreadableModuleError(`value type 0x${bytes[pos]?.toString(16)}`);
  return pos + 1;
}

/** The offset past a name (length-prefixed bytes) at `pos`. */
export function skipName(bytes: Uint8Array, pos: number): number {
  const { value, next } = readU32(bytes, pos);
  return next + value;
}

/** The offset past the limits of a memory or table at `pos`: flags, minimum, maximum, page size. */
export function skipLimits(bytes: Uint8Array, pos: number): number {
  const flags = bytes[pos]!;
  pos = skipLeb(bytes, pos + 1);
  if (flags & 0x01) pos = skipLeb(bytes, pos);
  if (flags & 0x08) pos = skipLeb(bytes, pos);
  return pos;
}

/** How many memories and globals the import section between `start` and `end` imports. */
export function importedCounts(bytes: Uint8Array, start: number, end: number): { memories: number; globals: number } {
  let { value: count, next: pos } = readU32(bytes, start);
  const counts = { memories: 0, globals: 0 };
  while (count-- > 0) {
    pos = skipName(bytes, skipName(bytes, pos));
    const kind = bytes[pos++];
    if (kind === EXTERNAL_KIND.func) pos = skipLeb(bytes, pos);
    else if (kind === EXTERNAL_KIND.table) pos = skipLimits(bytes, pos + 1);
    else if (kind === EXTERNAL_KIND.memory) {
      pos = skipLimits(bytes, pos);
      counts.memories++;
    } else if (kind === EXTERNAL_KIND.global) {
      pos = skipValtype(bytes, pos) + 1;
      counts.globals++;
    } else if (kind === EXTERNAL_KIND.tag) pos = skipLeb(bytes, pos + 1);
    else throw new UnreadableModuleError(`import kind 0x${kind?.toString(16)}`);
  }
  if (pos !== end) throw new UnreadableModuleError('unexpected bytes after the imports');
  return counts;
}

/** Whether `bytes` start with the core module magic and version 1. */
export function isCoreModule(bytes: Uint8Array): boolean {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return bytes.length >= header.length && header.every((b, i) => bytes[i] === b);
}

export interface Section {
  id: number;
  /** Offset of the section's id byte. */
  start: number;
  /** Offset of the section's contents. */
  contentStart: number;
  /** Offset just past the section. */
  end: number;
}

/** The sections of a core module, in order. Throws on a malformed frame. */
export function sections(module: Uint8Array): Section[] {
  const out: Section[] = [];
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos]!;
    const size = readU32(module, pos + 1);
    const end = size.next + size.value;
    if (end > module.length) throw new Error(`section ${id} at byte ${pos} runs past the end of the module`);
    out.push({ id, start: pos, contentStart: size.next, end });
    pos = end;
  }
  return out;
}

/** A section with id `id` and `contents`, framed. */
export function section(id: number, contents: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(id), encodeU32(contents.length), contents]);
}

/** Reads an unsigned LEB128 u32 at `pos`. */
export function readU32(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[pos + i];
    if (byte === undefined) throw new Error(`truncated LEB128 number at byte ${pos}`);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffff_ffff) throw new Error(`LEB128 number at byte ${pos} does not fit in 32 bits`);
      return { value, next: pos + i + 1 };
    }
  }
  throw new Error(`LEB128 number at byte ${pos} is longer than 5 bytes`);
}

/** The offset just past a LEB128 number (signed or unsigned, any width) at `pos`. */
export function skipLeb(bytes: Uint8Array, pos: number): number {
  for (let i = pos; i < bytes.length; i++) if ((bytes[i]! & 0x80) === 0) return i + 1;
  throw new Error(`truncated LEB128 number at byte ${pos}`);
}

export function encodeU32(value: number): Uint8Array {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return Uint8Array.from(bytes);
}

/** A Wasm `name`: its UTF-8 bytes prefixed by their length. */
export function encodeName(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  return concat([encodeU32(bytes.length), bytes]);
}

