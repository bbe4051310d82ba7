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
import { EXTERNAL_KIND, SECTION, UnreadableModuleError, encodeName, encodeU32, importedCounts, isCoreModule, readU32, section, sections, skipLeb, skipValtype } from './wasm-binary.js';

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
        if (bytes[pos] !== 0x0c) throw new UnreadableModuleError('a vector opcode in a constant expression');
        pos += 17;
        break;
      default:
        throw new UnreadableModuleError(`opcode 0x${op?.toString(16)} in a constant expression`);
    }
  }
}

/** Indexes (in the global index space) of the mutable globals the module defines. */
function mutableGlobals(bytes: Uint8Array, start: number, end: number, firstIndex: number): number[] {
  const count = readU32(bytes, start);
  let pos = count.next;
  const found: number[] = [];
  for (let i = 0; i < count.value; i++) {
    pos = skipValtype(bytes, pos);
    if (bytes[pos++] === 0x01) found.push(firstIndex + i);
    pos = constExpr(bytes, pos);
  }
  if (pos !== end) throw new UnreadableModuleError('unexpected bytes after the globals');
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
    const imports = all.find((s) => s.id === SECTION.import);
    const globals = all.find((s) => s.id === SECTION.global);
    if (!globals) return { module, names: [] };
    const first = imports ? importedCounts(module, imports.contentStart, imports.end).globals : 0;
    const indexes = mutableGlobals(module, globals.contentStart, globals.end, first);
    if (indexes.length === 0) return { module, names: [] };

    const names = indexes.map((i) => `${GLOBAL_EXPORT_PREFIX}${i}`);
    const added = indexes.map((index, i) => concat([encodeName(names[i]!), Uint8Array.of(EXTERNAL_KIND.global), encodeU32(index)]));
    const exports = all.find((s) => s.id === SECTION.export);
    let rewritten: Uint8Array;
    if (exports) {
      const count = readU32(module, exports.contentStart);
      const entries = module.subarray(count.next, exports.end);
      rewritten = section(SECTION.export, concat([encodeU32(count.value + added.length), entries, ...added]));
    } else {
      rewritten = section(SECTION.export, concat([encodeU32(added.length), ...added]));
    }
    // Known sections must stay in order: the export section goes where it belongs.
    const parts: Uint8Array[] = [module.subarray(0, 8)];
    let placed = false;
    for (const s of all) {
      if (s.id === SECTION.export) {
        parts.push(rewritten);
        placed = true;
        continue;
      }
      if (!placed && !exports && s.id !== 0 && s.id > SECTION.export && s.id !== SECTION.tag) {
        parts.push(rewritten);
        placed = true;
      }
      parts.push(module.subarray(s.start, s.end));
    }
    if (!placed) parts.push(rewritten);
    return { module: concat(parts), names };
  } catch (err) {
    if (err instanceof UnreadableModuleError) return undefined;
    throw err;
  }
}
