/** Whether a path lies inside a directory, as written and as the filesystem really has it. */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `path` is `root` or lies below it, comparing the paths as given. */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Where `path` really is: symlinks resolved as far as the path exists, the part that does not
 * exist yet appended as written. A file about to be written goes where this says.
 */
export async function realLocation(path: string): Promise<string> {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    const real = await realpath(at).catch(() => undefined);
    if (real !== undefined) return join(real, ...missing);
    const parent = dirname(at);
    if (parent === at) return resolve(path);
    missing.unshift(basename(at));
    at = parent;
  }
}

/** Whether `path`, symlinks followed, lies outside directory `root`. */
export async function escapes(root: string, path: string): Promise<boolean> {
  const [realRoot, realPath] = await Promise.all([realLocation(root), realLocation(path)]);
  return !inside(realRoot, realPath);
}
