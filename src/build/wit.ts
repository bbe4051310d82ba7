/**
 * WIT packages handed to componentize-js. Spindle's own world lives in the repository's `wit/`;
 * the `wasi:http/proxy` world comes from the WASI WIT that jco ships.
 */
import { copyFile, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageInfo } from '../util/package-info.js';

/** The repository's `wit/` folder: package `spindle:app`, world `handler`. */
export const SPINDLE_WIT_DIR = fileURLToPath(new URL('../../../wit/', import.meta.url));

/** The repository's `sdk/`: the handler SDK that `spindle build` bundles as `spindle/sdk`. */
export const SDK_DIR = fileURLToPath(new URL('../../../sdk/', import.meta.url));

const JCO_WIT = join(packageInfo('@bytecodealliance/jco').root, 'lib', 'wit', 'builtin');

/**
 * StarlingMonkey, inside componentize-js, exports `wasi:http/incoming-handler@0.2.10`, and a
 * target world must name that exact version. jco ships the WASI 0.2.12 WIT, whose interfaces
 * are the same 0.2 API; it is relabelled 0.2.10 here.
 */
const GUEST_WASI_VERSION = '0.2.10';
const SHIPPED_WASI_VERSION = '0.2.12';

/**
 * Writes, under `dir`, a WIT package with world `http` that is `wasi:http/proxy`, and returns
 * the folder to give componentize-js as `witPath`.
 */
export async function writeHttpProxyWit(dir: string): Promise<string> {
  const source = join(JCO_WIT, SHIPPED_WASI_VERSION);
  const deps = join(dir, 'deps');
  await mkdir(deps, { recursive: true });
  for (const pkg of await readdir(source)) {
    await cp(join(source, pkg), join(deps, pkg), { recursive: true });
    for (const file of await readdir(join(deps, pkg))) {
      const path = join(deps, pkg, file);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replaceAll(`@${SHIPPED_WASI_VERSION}`, `@${GUEST_WASI_VERSION}`).replaceAll(`version = ${SHIPPED_WASI_VERSION}`, `version = ${GUEST_WASI_VERSION}`));
    }
  }
  await writeFile(join(dir, 'world.wit'), `package spindle:http-guest;\n\nworld http {\n  include wasi:http/proxy@${GUEST_WASI_VERSION};\n}\n`);
  return dir;
}

/**
 * Copies the app's WIT folder `source` under `dir`, with Spindle's package beside it as a
 * dependency, and returns the folder to give componentize-js as `witPath`.
 */
export async function writeAppWit(dir: string, source: string): Promise<string> {
  await cp(source, dir, { recursive: true });
  await mkdir(join(dir, 'deps', 'spindle-app'), { recursive: true });
  await copyFile(join(SPINDLE_WIT_DIR, 'spindle.wit'), join(dir, 'deps', 'spindle-app', 'spindle.wit'));
  return dir;
}

/** The text of every `.wit` file of the folder `source`, in name order: what a build depends on. */
export async function witText(source: string): Promise<string> {
  const files = (await readdir(source, { recursive: true })).filter((f) => f.endsWith('.wit')).sort();
  return (await Promise.all(files.map((f) => readFile(join(source, f), 'utf8')))).join('\0');
}
