/**
 * Turns a component's bytes into jco's JavaScript glue plus its core modules, once. The result
 * is kept on disk under a hash of the bytes (and of jco's version), so a restart imports the
 * glue instead of transpiling again. Glue is stored once per content under `glue/`: components
 * built by the same toolchain have byte-identical glue (855 KB for componentize-js), and one
 * file is one module for a worker to import, however many components use it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SPIN_IMPORT_MAP } from '../../capabilities/contract.js';
import { writeFileAtomically } from '../../util/atomic-write.js';
import { packageInfo } from '../../util/package-info.js';
import { patchGlue } from './glue-patch.js';
import { knownHash, recordHash, sourceStamp } from './source-index.js';

const JCO_VERSION = packageInfo('@bytecodealliance/jco').version;
/** Bump when the options below or the glue's edits (`glue-patch.ts`) change, so stale glue is never reused. */
const LAYOUT = 5;
const GLUE_DIR = 'glue';
const META = 'meta.json';

export interface TranspiledComponent {
  /** Absolute path of the glue module exporting `instantiate(getCoreModule, imports)`. */
  gluePath: string;
  /** Where the transpiled files are; other derived files may be cached beside them. */
  dir: string;
  /** Core module file names, as the glue asks for them, each mapped to a reader of its bytes. */
  coreModules: Map<string, () => Promise<Uint8Array>>;
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
  /** The glue's file name in the shared glue folder. */
  glue: string;
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
  const coreModules = new Map<string, () => Promise<Uint8Array>>();
  for (const file of await readdir(dir)) {
    if (file.endsWith('.wasm')) coreModules.set(file, () => readFile(join(dir, file)));
  }
  return { dir, gluePath: join(dirname(dir), GLUE_DIR, meta.glue), coreModules, exports: meta.exports, wit: meta.wit, cached: true };
}

/** Transpiles in progress in this process, by cache directory: one component file used by
 * several components is transpiled once. */
const inFlight = new Map<string, Promise<TranspiledComponent>>();

/**
 * The transpiled component of file `source`: from the cache without reading the file when the
 * file is unchanged since it was cached (`source-index.ts`), else read with `read`, hashed and
 * looked up or transpiled.
 */
export async function transpileFile(source: string, cacheDir: string, read: () => Promise<Uint8Array>): Promise<TranspiledComponent> {
  const stamp = await sourceStamp(source);
  const known = stamp && (await knownHash(cacheDir, source, stamp));
  const hit = known && (await readCached(join(cacheDir, known)));
  if (hit) return hit;
  const bytes = await read();
  const transpiled = await transpileCached(bytes, cacheDir);
  if (stamp) await recordHash(cacheDir, source, stamp, basename(transpiled.dir));
  return transpiled;
}

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
  // jco loads its own tooling as WebAssembly; a warm start never needs it.
  const { componentWit, transpile } = await import('@bytecodealliance/jco');
  const out = await transpile(bytes, {
    name: 'component',
    instantiation: 'async',
    noTypescript: true,
    quiet: true,
    map: SPIN_IMPORT_MAP,
  });
  const staging = `${dir}.${randomUUID()}.tmp`;
  await mkdir(staging, { recursive: true });
  const coreModules = new Map<string, () => Promise<Uint8Array>>();
  let glue: string | undefined;
  for (const [file, content] of Object.entries(out.files)) {
    if (file.endsWith('.wasm')) {
      await writeFile(join(staging, file), content);
      coreModules.set(file, async () => content);
    } else if (file.endsWith('.js')) glue = await storeGlue(dirname(dir), Buffer.from(patchGlue(Buffer.from(content).toString('utf8'))));
  }
  if (!glue) throw new Error('jco produced no glue module');
  const meta: Meta = { exports: out.exports, wit: await componentWit(bytes), glue };
  await writeFile(join(staging, META), JSON.stringify(meta));
  try {
    await rename(staging, dir);
  } catch {
    // Another process cached the same component first; its copy is as good as ours.
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, gluePath: join(dirname(dir), GLUE_DIR, glue), coreModules, exports: meta.exports, wit: meta.wit, cached: false };
}

/** Writes `content` to the shared glue folder under its hash, unless it is there; returns its file name. */
async function storeGlue(cacheDir: string, content: Uint8Array): Promise<string> {
  const name = `${createHash('sha256').update(content).digest('hex').slice(0, 32)}.js`;
  const folder = join(cacheDir, GLUE_DIR);
  const path = join(folder, name);
  if (await stat(path).then(() => true, () => false)) return name;
  await mkdir(folder, { recursive: true });
  // The glue is an ES module; an explicit package.json keeps it one whatever surrounds the cache.
  await writeFile(join(folder, 'package.json'), '{"type":"module"}\n');
  await writeFileAtomically(path, content);
  return name;
}
