/**
 * Caps the linear memories a core Wasm module defines by rewriting the maximum in its memory
 * section before the module is compiled. A guest runs synchronously with no host code in
 * between, so a limit the host checked would come too late; a declared maximum is enforced by
 * the engine itself: `memory.grow` past it returns -1, as if the machine were out of memory.
 *
 * Only the memory section (id 5) is touched; every other byte is copied as it is. Imported
 * memories are left alone: they are defined, and capped, in the module that exports them.
 */

import { concat } from '../../util/bytes.js';
import { WASM_PAGE } from '../guest-spec.js';
import { SECTION, encodeU32, isCoreModule, readU32, section, sections } from './wasm-binary.js';

/** The most pages a 32-bit memory may declare. */
const MAX_PAGES_32 = 65_536;

const HAS_MAXIMUM = 0x01;
/** Limits flags this rewriter understands: has-maximum and shared (threads). */
const KNOWN_FLAGS = 0x03;

/** A defined memory whose minimum is already above the cap, so the module cannot start. */
export class MemoryMinimumError extends Error {
  override name = 'MemoryMinimumError';
  constructor(
    /** Index of the memory among those the module defines. */
    readonly memoryIndex: number,
    readonly minPages: number,
    readonly capPages: number,
  ) {
    super(`defined memory ${memoryIndex} starts at ${minPages} pages, above the cap of ${capPages}`);
  }
}

/** The cap in pages for a limit in bytes: whole pages only, at most what 32-bit memories allow. */
export function capPages(limitBytes: number): number {
  return Math.min(Math.floor(limitBytes / WASM_PAGE), MAX_PAGES_32);
}

/**
 * Returns `module` with each defined memory's maximum set to at most `maxPages` (a memory
 * without a maximum gets `maxPages`). Returns `module` itself when no maximum needed lowering.
 * Throws `MemoryMinimumError` when a memory's minimum exceeds `maxPages`, and a plain `Error`
 * for bytes that are not a core module or a memory it cannot cap (64-bit, custom page sizes).
 */
export function capMemories(module: Uint8Array, maxPages: number): Uint8Array {
  if (!isCoreModule(module)) throw new Error('not a core Wasm module (expected the \\0asm magic and version 1)');
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let changed = false;
  for (const { id, start, contentStart, end } of sections(module)) {
    const rewritten = id === SECTION.memory ? capMemorySection(module.subarray(contentStart, end), maxPages) : undefined;
    if (rewritten) {
      parts.push(section(id, rewritten));
      changed = true;
    } else {
      parts.push(module.subarray(start, end));
    }
  }
  return changed ? concat(parts) : module;
}

/** The memory section with every maximum capped, or undefined when it needs no change. */
function capMemorySection(section: Uint8Array, maxPages: number): Uint8Array | undefined {
  const count = readU32(section, 0);
  const out: Uint8Array[] = [encodeU32(count.value)];
  let pos = count.next;
  let changed = false;
  for (let i = 0; i < count.value; i++) {
    const flags = section[pos++];
    if (flags === undefined) throw new Error(`memory section ends inside defined memory ${i}`);
    if ((flags & ~KNOWN_FLAGS) !== 0) {
      throw new Error(`defined memory ${i} has limits flags 0x${flags.toString(16).padStart(2, '0')} (64-bit or custom page size), which cannot be capped`);
    }
    const min = readU32(section, pos);
    pos = min.next;
    let max: number | undefined;
    if (flags & HAS_MAXIMUM) {
      const read = readU32(section, pos);
      max = read.value;
      pos = read.next;
    }
    if (min.value > maxPages) throw new MemoryMinimumError(i, min.value, maxPages);
    const capped = max === undefined ? maxPages : Math.min(max, maxPages);
    if (capped !== max) changed = true;
    out.push(Uint8Array.of(flags | HAS_MAXIMUM), encodeU32(min.value), encodeU32(capped));
  }
  if (pos !== section.length) throw new Error(`memory section has ${section.length - pos} bytes after its last memory`);
  return changed ? concat(out) : undefined;
}
