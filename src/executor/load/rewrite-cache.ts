/**
 * Core modules as Spindle runs them (memories capped, mutable globals exported), kept on disk
 * beside the transpiled originals, one file per module and page cap. Rewriting a 12 MB
 * componentize-js module copies it twice; with eight such components that was the largest
 * part of a warm start. A cached module is read instead, and its original is never read.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../util/atomic-write.js';

export interface RewrittenModule {
  bytes: Uint8Array;
  /** Every mutable global is exported, so an instance can be put back to its first state. */
  restorable: boolean;
}

const FOLDER = 'rewritten';

/** `name` rewritten for `maxPages` from the cache in `dir`, or by `rewrite` and then cached. */
export async function rewriteCached(
  dir: string,
  name: string,
  maxPages: number,
  rewrite: () => Promise<RewrittenModule>,
): Promise<RewrittenModule> {
  const base = join(dir, FOLDER, `${name}.pages-${maxPages}`);
  // The marker is written last: a module without one was never finished.
  const marker = await readFile(`${base}.json`, 'utf8').then((text) => JSON.parse(text) as { restorable: boolean }, () => undefined);
  if (marker) {
    const bytes = await readFile(`${base}.wasm`).catch(() => undefined);
    if (bytes) return { bytes, restorable: marker.restorable };
  }
  const rewritten = await rewrite();
  await mkdir(join(dir, FOLDER), { recursive: true });
  await writeFileAtomically(`${base}.wasm`, rewritten.bytes);
  await writeFileAtomically(`${base}.json`, JSON.stringify({ restorable: rewritten.restorable }));
  return rewritten;
}
