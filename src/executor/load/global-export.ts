/**
 * Exports every mutable global a core Wasm module defines, under `spindle.global.<index>`, so
 * the host can read and reset them. A guest's state is its linear memory plus its mutable
 * globals (the stack pointer, an allocator's top, a counter); with both in hand, a used
 * instance can be put back exactly as it was after instantiation (see `instance-state.ts`).
 *
 * The rewrite only appends to the export section (creating one when there is none). It reads
 * the import and global sections to number the globals; a construct it does not understand
 * (a reference type of the GC proposal, an unknown constant-expression opcode) makes it give
 * up and return undefined, and the caller falls back to fresh instances.
 */
import { concat } from '../../util/bytes.js';
import { GLOBAL_EXPORT_PREFIX } from '../guest-spec.js';
import { encodeName, encodeU32, isCoreModule, readU32, section, sections, skipLeb } from './wasm-binary.js';

const IMPORT_SECTION = 2;
const GLOBAL_SECTION = 6;
const EXPORT_SECTION = 7;
/** Numbered 13 but placed before the global section. */
const TAG_SECTION = 13;
const GLOBAL_KIND = 0x03;

/** One-byte value types: numbers, v128, funcref, externref. */
const SIMPLE_VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

class Unsupported extends Error {}

function valtype(bytes: Uint8Array, pos: number): number {
  if (!SIMPLE_VALTYPES.has(bytes[pos]!)) throw new Unsupported(`value type 0x${bytes[pos]?.toString(16)}`);
  return pos + 1;
}

function limits(bytes: Uint8Array, pos: number): number {
  const flags = bytes[pos]!;
  pos = skipLeb(bytes, pos + 1);
  if (flags & 0x01) pos = skipLeb(bytes, pos);
  if (flags & 0x08) pos = skipLeb(bytes, pos);
  return pos;
}

/** The offset past a constant expression (ending in `end`). */
function constExpr(bytes: Uint8Array, pos: number): number {
  for (;;) {
    const op = bytes[pos++];
    switch (op) {
      case 0x0b:
        return pos;
      case 0x41:
      case 0x42:
      case 0x23:
      case 0xd2:
        pos = skipLeb(bytes, pos);
        break;
      case 0x43:
        pos += 4;
        break;
      case 0x44:
        pos += 8;
        break;
      case 0xd0:
        pos += 1;
        break;
      case 0x6a:
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfd:
        if (bytes[pos] !== 0x0c) throw new Unsupported('a vector opcode in a constant expression');
        pos += 17;
        break;
      default:
        throw new Unsupported(`opcode 0x${op?.toString(16)} in a constant expression`);
    }
  }
}

function importedGlobals(bytes: Uint8Array, start: number, end: number): number {
  const count = readU32(bytes, start);
  let pos = count.next;
  let globals = 0;
  for (let i = 0; i < count.value; i++) {
    for (let name = 0; name < 2; name++) {
      const len = readU32(bytes, pos);
      pos = len.next + len.value;
    }
    const kind = bytes[pos++];
    if (kind === 0x00) pos = skipLeb(bytes, pos);
    else if (kind === 0x01) pos = limits(bytes, pos + 1);
    else if (kind === 0x02) pos = limits(bytes, pos);
    else if (kind === GLOBAL_KIND) {
      pos = valtype(bytes, pos) + 1;
      globals++;
    } else if (kind === 0x04) pos = skipLeb(bytes, pos + 1);
    else throw new Unsupported(`import kind 0x${kind?.toString(16)}`);
  }
  if (pos !== end) throw new Unsupported('unexpected bytes after the imports');
  return globals;
}

/** Indexes (in the global index space) of the mutable globals the module defines. */
function mutableGlobals(bytes: Uint8Array, start: number, end: number, firstIndex: number): number[] {
  const count = readU32(bytes, start);
  let pos = count.next;
  const found: number[] = [];
  for (let i = 0; i < count.value; i++) {
    pos = valtype(bytes, pos);
    if (bytes[pos++] === 0x01) found.push(firstIndex + i);
    pos = constExpr(bytes, pos);
  }
  if (pos !== end) throw new Unsupported('unexpected bytes after the globals');
  return found;
}

/**
 * `module` with its defined mutable globals exported, and their export names; the module as it
 * is when it defines none; undefined when the module uses something this rewriter cannot read.
 */
export function exportMutableGlobals(module: Uint8Array): { module: Uint8Array; names: string[] } | undefined {
  if (!isCoreModule(module)) throw new Error('not a core Wasm module (expected the \\0asm magic and version 1)');
  try {
    const all = sections(module);
    const imports = all.find((s) => s.id === IMPORT_SECTION);
    const globals = all.find((s) => s.id === GLOBAL_SECTION);
    if (!globals) return { module, names: [] };
    const first = imports ? importedGlobals(module, imports.contentStart, imports.end) : 0;
    const indexes = mutableGlobals(module, globals.contentStart, globals.end, first);
    if (indexes.length === 0) return { module, names: [] };

    const names = indexes.map((i) => `${GLOBAL_EXPORT_PREFIX}${i}`);
    const added = indexes.map((index, i) => concat([encodeName(names[i]!), Uint8Array.of(GLOBAL_KIND), encodeU32(index)]));
    const exports = all.find((s) => s.id === EXPORT_SECTION);
    let rewritten: Uint8Array;
    if (exports) {
      const count = readU32(module, exports.contentStart);
      const entries = module.subarray(count.next, exports.end);
      rewritten = section(EXPORT_SECTION, concat([encodeU32(count.value + added.length), entries, ...added]));
    } else {
      rewritten = section(EXPORT_SECTION, concat([encodeU32(added.length), ...added]));
    }
    // Known sections must stay in order: the export section goes where it belongs.
    const parts: Uint8Array[] = [module.subarray(0, 8)];
    let placed = false;
    for (const s of all) {
      if (s.id === EXPORT_SECTION) {
        parts.push(rewritten);
        placed = true;
        continue;
      }
      if (!placed && !exports && s.id !== 0 && s.id > EXPORT_SECTION && s.id !== TAG_SECTION) {
        parts.push(rewritten);
        placed = true;
      }
      parts.push(module.subarray(s.start, s.end));
    }
    if (!placed) parts.push(rewritten);
    return { module: concat(parts), names };
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
