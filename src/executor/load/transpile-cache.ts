/**
 * Turns a component's bytes into jco's JavaScript glue plus its core modules, once. The result
 * is kept on disk under a hash of the bytes (and of jco's version), so a restart imports the
 * glue instead of transpiling again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentWit, transpile } from '@bytecodealliance/jco';
import { packageInfo } from '../../util/package-info.js';

const JCO_VERSION = packageInfo('@bytecodealliance/jco').version;
/** Bump when the options below change, so stale glue is never reused. */
const LAYOUT = 2;
const GLUE = 'component.js';
const META = 'meta.json';

export interface TranspiledComponent {
  /** Absolute path of the glue module exporting `instantiate(getCoreModule, imports)`. */
  gluePath: string;
  /** Core module file names, as the glue asks for them, mapped to their bytes. */
  coreModules: Map<string, Uint8Array>;
  /** The component's exports with their kind. */
  exports: Array<[string, 'function' | 'instance']>;
  /** The component's world as WIT text: its imports and the types of its exports. */
  wit: string;
  /** Whether this came from the cache. */
  cached: boolean;
}

interface Meta {
  exports: Array<[string, 'function' | 'instance']>;
  wit: string;
}

export function componentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(`jco@${JCO_VERSION}/${LAYOUT}\0`).update(bytes).digest('hex').slice(0, 32);
}

async function readCached(dir: string): Promise<TranspiledComponent | undefined> {
  let meta: Meta;
  try {
    meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as Meta;
  } catch {
    return undefined;
  }
  const coreModules = new Map<string, Uint8Array>();
  for (const file of await readdir(dir)) {
    if (file.endsWith('.wasm')) coreModules.set(file, await readFile(join(dir, file)));
  }
  return { gluePath: join(dir, GLUE), coreModules, exports: meta.exports, wit: meta.wit, cached: true };
}

/** Transpiles in progress in this process, by cache directory: one component file used by
 * several components is transpiled once. */
const inFlight = new Map<string, Promise<TranspiledComponent>>();

/** Transpiles `bytes` (or reuses the cached result) into `cacheDir/<hash>/`. */
export function transpileCached(bytes: Uint8Array, cacheDir: string): Promise<TranspiledComponent> {
  const dir = join(cacheDir, componentHash(bytes));
  let pending = inFlight.get(dir);
  if (!pending) {
    pending = readCached(dir)
      .then((hit) => hit ?? transpileInto(bytes, dir))
      .finally(() => inFlight.delete(dir));
    inFlight.set(dir, pending);
  }
  return pending;
}

async function transpileInto(bytes: Uint8Array, dir: string): Promise<TranspiledComponent> {
  const out = await transpile(bytes, {
    name: 'component',
    instantiation: 'async',
    noTypescript: true,
    quiet: true,
  });
  const staging = `${dir}.${randomUUID()}.tmp`;
  await mkdir(staging, { recursive: true });
  const coreModules = new Map<string, Uint8Array>();
  for (const [file, content] of Object.entries(out.files)) {
    // Type declarations are for editors; the runtime needs only the glue and core modules.
    if (file.endsWith('.d.ts')) continue;
    await writeFile(join(staging, file), content);
    if (file.endsWith('.wasm')) coreModules.set(file, content);
  }
  // The glue is an ES module; an explicit package.json keeps it one whatever surrounds the cache.
  await writeFile(join(staging, 'package.json'), '{"type":"module"}\n');
  const meta: Meta = { exports: out.exports, wit: await componentWit(bytes) };
  await writeFile(join(staging, META), JSON.stringify(meta));
  try {
    await rename(staging, dir);
  } catch {
    // Another process cached the same component first; its copy is as good as ours.
    await rm(staging, { recursive: true, force: true });
  }
  return { gluePath: join(dir, GLUE), coreModules, ...meta, cached: false };
}
