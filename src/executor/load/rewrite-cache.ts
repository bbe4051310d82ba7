/**
 * Core modules as Spindle runs them (memories capped, mutable globals exported, data split from
 * code by `data-split.ts`), kept on disk beside the transpiled originals. Rewriting a 12 MB
 * componentize-js module copies it twice; with eight such components that was the largest part
 * of a warm start. A cached module is read instead, and its original is never read.
 *
 * Code is stored once per content in the cache's `code/` folder, named by its hash: eight
 * componentize-js components have one engine, read and compiled once. Each module's own file
 * holds only its data segments.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../../util/atomic-write.js';
import type { DataImage } from '../guest-spec.js';
import { splitData } from './data-split.js';

/** A core module rewritten, before it is split and cached. */
export interface RewrittenModule {
  bytes: Uint8Array;
  /** Every mutable global is exported, so an instance can be put back to its first state. */
  restorable: boolean;
}

export interface CachedModule {
  restorable: boolean;
  /** The hash of the code: modules with the same one are byte-identical and compiled once. */
  code: string;
  readCode(): Promise<Uint8Array>;
  /** The data segments taken out of the code; none when the module could not be split. */
  image?: DataImage;
}

/** Named apart from the earlier layout, whose files held whole modules. */
const FOLDER = 'rewritten-split';
const CODE_FOLDER = 'code';

interface Marker {
  restorable: boolean;
  code: string;
  image?: Pick<DataImage, 'memory' | 'runs'>;
}

/**
 * The file at `path` read straight into shared memory, which every worker sees without a copy;
 * undefined when it cannot be read whole.
 */
async function readShared(path: string): Promise<Uint8Array | undefined> {
  const file = await open(path).catch(() => undefined);
  if (!file) return undefined;
  try {
    const { size } = await file.stat();
    const out = new Uint8Array(new SharedArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const { bytesRead } = await file.read(out, at, size - at, at);
      if (bytesRead === 0) return undefined;
      at += bytesRead;
    }
    return out;
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}

/** `name` rewritten for `maxPages` from the cache in `dir`, or by `rewrite` and then cached. */
export async function rewriteCached(
  dir: string,
  name: string,
  maxPages: number,
  rewrite: () => Promise<RewrittenModule>,
): Promise<CachedModule> {
  const base = join(dir, FOLDER, `${name}.pages-${maxPages}`);
  const codeDir = join(dirname(dir), CODE_FOLDER);
  // The marker is written last: a module without one was never finished.
  const marker = await readFile(`${base}.json`, 'utf8').then((text) => JSON.parse(text) as Marker, () => undefined);
  if (marker) {
    const codePath = join(codeDir, `${marker.code}.wasm`);
    const [data, codeThere] = await Promise.all([
      marker.image ? readShared(`${base}.data`) : undefined,
      stat(codePath).then(() => true, () => false),
    ]);
    if (codeThere && (!marker.image || data)) {
      return {
        restorable: marker.restorable,
        code: marker.code,
        readCode: () => readFile(codePath),
        ...(marker.image && data ? { image: { ...marker.image, data } } : {}),
      };
    }
  }
  const rewritten = await rewrite();
  const split = splitData(rewritten.bytes);
  const code = split?.code ?? rewritten.bytes;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 32);
  await Promise.all([mkdir(join(dir, FOLDER), { recursive: true }), mkdir(codeDir, { recursive: true })]);
  const codePath = join(codeDir, `${hash}.wasm`);
  if (!(await stat(codePath).then(() => true, () => false))) await writeFileAtomically(codePath, code);
  if (split) await writeFileAtomically(`${base}.data`, split.image.data);
  const written: Marker = { restorable: rewritten.restorable, code: hash, ...(split ? { image: { memory: split.image.memory, runs: split.image.runs } } : {}) };
  await writeFileAtomically(`${base}.json`, JSON.stringify(written));
  return { restorable: rewritten.restorable, code: hash, readCode: async () => code, ...(split ? { image: split.image } : {}) };
}
