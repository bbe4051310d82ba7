/**
 * Where an installed package lives and which version it is, for packages whose `exports` hide
 * their `package.json`. Versions go into cache keys; locations give access to shipped data.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  root: string;
  version: string;
}

/** Finds `name` from its main entry, walking up to the `package.json` that names it. */
export function packageInfo(name: string): PackageInfo {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return { root: dir, version: pkg.version };
    } catch {
      // No package.json at this level; keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}
