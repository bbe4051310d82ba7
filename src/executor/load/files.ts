/**
 * The `files` a component is granted, read once into a read-only in-memory tree. The guest sees
 * these snapshots and nothing else of the host filesystem, so no path it builds (`..`, symlinks)
 * can reach past them.
 *
 * Only regular files and directories are read. A symlink inside a granted directory is followed
 * only when it stays inside that directory (as Spin's preopens allow); one that leads out of it
 * is refused at start-up, naming the link and where it points, since following it would hand
 * the guest a file nobody granted. Devices, FIFOs and sockets are refused the same way: reading
 * `/dev/zero` never ends.
 */
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { ComponentLoadError } from '../../errors.js';
import type { FileMount } from '../../manifest/schema.js';
import { formatSize } from '../../manifest/units.js';
import { inside } from '../../util/paths.js';
import type { FileTree } from '../guest-spec.js';

/** Above this a component's files are better served by something other than a memory snapshot. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

type Dir = { dir: Record<string, FileTree> };

/** Builds the preopens for `mounts`: guest directory → tree. */
export async function snapshotFiles(component: string, mounts: FileMount[]): Promise<Record<string, FileTree>> {
  const preopens: Record<string, Dir> = {};
  let total = 0;
  const refuse = (message: string) => new ComponentLoadError(`files granted to "${component}": ${message}`, { component });

  /**
   * Reads `path` into a tree. `real` is where it really is (inside `root`, the granted
   * directory's real path): only a symlink's target needs resolving, every other entry's is
   * its directory's plus its name. `above` are the real directories it is in.
   */
  async function read(path: string, real: string, root: string, above: ReadonlySet<string> = new Set()): Promise<FileTree> {
    let info = await lstat(path);
    if (info.isSymbolicLink()) {
      const target = await realpath(path).catch(() => undefined);
      if (target === undefined) throw refuse(`${path} is a symlink to nothing`);
      if (!inside(root, target)) throw refuse(`${path} is a symlink to ${target}, outside the granted ${root}`);
      info = await stat(target);
      real = target;
    }
    if (info.isDirectory()) {
      if (above.has(real)) throw refuse(`${path} is a symlink to a directory that contains it`);
      const within = new Set(above).add(real);
      const dir: Record<string, FileTree> = {};
      for (const entry of await readdir(path)) dir[entry] = await read(join(path, entry), join(real, entry), root, within);
      return { dir };
    }
    if (!info.isFile()) throw refuse(`${path} is not a regular file or a directory`);
    total += info.size;
    if (total > MAX_SNAPSHOT_BYTES) throw refuse(`together they exceed ${formatSize(MAX_SNAPSHOT_BYTES)}`);
    const source = await readFile(path);
    // A file that grew since it was measured is held to what was measured.
    return { source: source.byteLength > info.size ? source.subarray(0, info.size) : source };
  }

  for (const mount of mounts) {
    const tree = await realpath(mount.source)
      .then((root) => read(root, root, root))
      .catch((cause: unknown) => {
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
