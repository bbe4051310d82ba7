/**
 * The `files` a component is granted, read once into a read-only in-memory tree. The guest sees
 * these snapshots and nothing else of the host filesystem, so no path it builds (`..`, symlinks)
 * can reach past them.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { ComponentLoadError } from '../../errors.js';
import type { FileMount } from '../../manifest/schema.js';
import { formatSize } from '../../manifest/units.js';
import type { FileTree } from '../guest-spec.js';

/** Above this a component's files are better served by something other than a memory snapshot. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

type Dir = { dir: Record<string, FileTree> };

/** Builds the preopens for `mounts`: guest directory → tree. */
export async function snapshotFiles(component: string, mounts: FileMount[]): Promise<Record<string, FileTree>> {
  const preopens: Record<string, Dir> = {};
  let total = 0;

  async function read(path: string): Promise<FileTree> {
    const info = await stat(path);
    if (info.isDirectory()) {
      const dir: Record<string, FileTree> = {};
      for (const entry of await readdir(path)) dir[entry] = await read(join(path, entry));
      return { dir };
    }
    total += info.size;
    if (total > MAX_SNAPSHOT_BYTES) {
      throw new ComponentLoadError(`files granted to "${component}" exceed ${formatSize(MAX_SNAPSHOT_BYTES)}`, { component });
    }
    return { source: await readFile(path) };
  }

  for (const mount of mounts) {
    const tree = await read(mount.source).catch((cause: unknown) => {
      if (cause instanceof ComponentLoadError) throw cause;
      throw new ComponentLoadError(`cannot read files for "${component}" at ${mount.source}: ${(cause as Error).message}`, { component }, { cause });
    });
    const destination = posix.normalize(mount.destination);
    if ('dir' in tree) {
      preopens[destination] = { dir: { ...preopens[destination]?.dir, ...tree.dir } };
    } else {
      // A single file is seen inside its parent directory.
      const parent = posix.dirname(destination);
      preopens[parent] = { dir: { ...preopens[parent]?.dir, [basename(destination)]: tree } };
    }
  }
  return preopens;
}
