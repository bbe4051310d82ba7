/**
 * Caps the linear memories a core Wasm module defines by rewriting the maximum in its memory
 * section before the module is compiled. A guest runs synchronously with no host code in
 * between, so a limit the host checked would come too late; a declared maximum is enforced by
 * the engine itself: `memory.grow` past it returns -1, as if the machine were out of memory.
 *
 * Only the memory section (id 5) is touched; every other byte is copied as it is. Imported
 * memories are left alone: they are defined, and capped, in the module that exports them.
 */

/** Bytes in a Wasm page. */
export const WASM_PAGE = 65_536;

/** The most pages a 32-bit memory may declare. */
const MAX_PAGES_32 = 65_536;

const MEMORY_SECTION = 5;
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
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos]!;
    const size = readU32(module, pos + 1);
    const start = size.next;
    const end = start + size.value;
    if (end > module.length) throw new Error(`section ${id} at byte ${pos} runs past the end of the module`);
    const rewritten = id === MEMORY_SECTION ? capMemorySection(module.subarray(start, end), maxPages) : undefined;
    if (rewritten) {
      parts.push(Uint8Array.of(id), encodeU32(rewritten.length), rewritten);
      changed = true;
    } else {
      parts.push(module.subarray(pos, end));
    }
    pos = end;
  }
  return changed ? concat(parts) : module;
}

function isCoreModule(bytes: Uint8Array): boolean {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return bytes.length >= header.length && header.every((b, i) => bytes[i] === b);
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

/** Reads an unsigned LEB128 u32 at `pos`. */
function readU32(bytes: Uint8Array, pos: number): { value: number; next: number } {
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

function encodeU32(value: number): Uint8Array {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return Uint8Array.from(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
