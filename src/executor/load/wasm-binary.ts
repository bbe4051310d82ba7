/**
 * Reading and writing the pieces of the core Wasm binary format that Spindle's module rewriters
 * need: the header, section framing and LEB128 numbers.
 */
import { concat } from '../../util/bytes.js';

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

