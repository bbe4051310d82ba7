/**
 * Remembers which content hash a component file had when it was last read, keyed by the file's
 * path and stamped with its size, modification time and inode. A warm start whose files are
 * unchanged finds its transpiled components without reading and hashing 12 MB per JavaScript
 * component; any change to a file (`spindle build` writing it, a copy over it) changes the
 * stamp, and the file is read and hashed again. This is the rule `make` trusts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomically } from '../../util/atomic-write.js';

const FOLDER = 'sources';

interface Entry {
  stamp: string;
  hash: string;
}

function entryPath(cacheDir: string, source: string): string {
  return join(cacheDir, FOLDER, `${createHash('sha256').update(resolve(source)).digest('hex').slice(0, 32)}.json`);
}

/** The file's stamp now; undefined when it cannot be read. */
export async function sourceStamp(source: string): Promise<string | undefined> {
  const info = await stat(source, { bigint: true }).catch(() => undefined);
  return info && `${info.size}:${info.mtimeNs}:${info.ino}`;
}

/** The content hash recorded for `source` under `stamp`, if any. */
export async function knownHash(cacheDir: string, source: string, stamp: string): Promise<string | undefined> {
  const entry = await readFile(entryPath(cacheDir, source), 'utf8').then((text) => JSON.parse(text) as Entry, () => undefined);
  return entry?.stamp === stamp ? entry.hash : undefined;
}

/** Records `hash` as the content of `source` while its stamp is `stamp`. */
export async function recordHash(cacheDir: string, source: string, stamp: string, hash: string): Promise<void> {
  const path = entryPath(cacheDir, source);
  await mkdir(join(cacheDir, FOLDER), { recursive: true });
  await writeFileAtomically(path, JSON.stringify({ stamp, hash } satisfies Entry));
}
