/**
 * `spindle build`: turns each component's JS or TS handler source into a `.wasm` component with
 * componentize-js. Sources are bundled with esbuild first (TypeScript, npm imports), and a
 * component whose bundle, world and toolchain are unchanged is not built again.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build as esbuild, type Plugin } from 'esbuild';
import { BuildError, errorMessage } from '../errors.js';
import type { LoadedManifest } from '../manifest/load.js';
import type { ComponentConfig } from '../manifest/schema.js';
import { formatSize } from '../manifest/units.js';
import { packageInfo } from '../util/package-info.js';
import { inside, realLocation } from '../util/paths.js';
import { SDK_DIR, SPINDLE_WIT_DIR, witText, writeAppWit, writeHttpProxyWit } from './wit.js';

export const TOOLCHAIN = `componentize-js@${packageInfo('@bytecodealliance/componentize-js').version}`;

export interface BuildOptions {
  /** Build even what is up to date. */
  force?: boolean;
  /** Receives one line per step. */
  progress?: (line: string) => void;
  /** Write build outputs outside the app's folder (the manifest's directory) too. */
  allowOutside?: boolean;
  /** Build only these components. */
  only?: readonly string[];
}

export interface BuildResult {
  component: string;
  built: boolean;
  ms: number;
  /** The source files the bundle was made from, absolute: what a watcher watches. */
  inputs: string[];
}

/** Leaves every `namespace:package/...` import to componentize-js. */
const interfaceImports: Plugin = {
  name: 'interface-imports',
  setup(build) {
    build.onResolve({ filter: /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*\// }, (args) => ({ path: args.path, external: true }));
  },
};

interface Bundle {
  code: string;
  inputs: string[];
}

/**
 * `spindle/sdk` is the SDK of the Spindle that builds, wherever the handler lives: its
 * helpers speak this Spindle's world, and an app needs no package install to use it.
 */
const sdkPlugin: Plugin = {
  name: 'spindle-sdk',
  setup(build) {
    build.onResolve({ filter: /^spindle\/sdk$/ }, () => ({ path: join(SDK_DIR, 'index.ts') }));
  },
};

async function bundle(id: string, entry: string): Promise<Bundle> {
  try {
    const result = await esbuild({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // Interface imports (`spindle:app/key-value@0.1.0`, `wasi:...`, a dependency's
      // `acme:text/render@0.1.0`) are bound by componentize-js to the component's imports, not bundled.
      plugins: [sdkPlugin, interfaceImports],
      // Static assets imported by a handler become strings in the bundle.
      loader: { '.html': 'text', '.css': 'text', '.svg': 'text', '.txt': 'text' },
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).map((input) => resolve(input));
    return { code: result.outputFiles[0]!.text, inputs };
  } catch (cause) {
    throw new BuildError(`component "${id}": cannot bundle ${entry}: ${errorMessage(cause)}`, { component: id }, { cause });
  }
}

function stampPath(source: string): string {
  return `${source}.build-stamp`;
}

async function upToDate(source: string, stamp: string): Promise<boolean> {
  const [hasOutput, previous] = await Promise.all([
    stat(source).then((s) => s.isFile(), () => false),
    readFile(stampPath(source), 'utf8').catch(() => ''),
  ]);
  return hasOutput && previous.trim() === stamp;
}

/** The component componentize-js makes of the JavaScript module `entry` for `world` in the WIT at `witPath`. */
export async function componentizeJs(entry: string, witPath: string, world: string): Promise<Uint8Array> {
  // componentize-js reads WIT and sources through preview2-shim's Node filesystem, which
  // starts with no preopens; this process must let it see the host paths above.
  const { _setPreopens } = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as {
    _setPreopens(p: Record<string, string>): void;
  };
  _setPreopens({ '/': '/' });
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({ sourcePath: entry, witPath, worldName: world });
  return component;
}

/** Builds one component from `config.build` into `config.source`. Says whether it built, and from what. */
async function buildComponent(id: string, config: ComponentConfig, options: BuildOptions = {}): Promise<{ built: boolean; inputs: string[] }> {
  const progress = options.progress ?? (() => {});
  const build = config.build;
  if (!build) return { built: false, inputs: [] };
  const { code, inputs } = await bundle(id, build.source);
  // The world's WIT is part of what is built: a component built against an older one imports
  // an older interface.
  const spindleWit = build.world === 'handler' || build.wit ? await readFile(join(SPINDLE_WIT_DIR, 'spindle.wit'), 'utf8') : '';
  const wit = build.wit ? `${spindleWit}\0${await witText(build.wit)}` : spindleWit;
  const stamp = createHash('sha256').update(`${TOOLCHAIN}\0${build.world}\0${wit}\0`).update(code).digest('hex');
  if (!options.force && (await upToDate(config.source, stamp))) {
    progress(`${id}: up to date (${config.source})`);
    return { built: false, inputs };
  }

  progress(`${id}: componentizing ${build.source} for world "${build.world}" (this takes 10-20 s)...`);
  const work = await mkdtemp(join(tmpdir(), `spindle-build-${id}-`));
  try {
    const entry = join(work, 'guest.js');
    await writeFile(entry, code);
    const witPath = build.wit
      ? await writeAppWit(join(work, 'wit'), build.wit)
      : build.world === 'http'
        ? await writeHttpProxyWit(join(work, 'wit'))
        : SPINDLE_WIT_DIR;
    const component = await componentizeJs(entry, witPath, build.world);
    await mkdir(dirname(config.source), { recursive: true });
    await writeFile(config.source, component);
    await writeFile(stampPath(config.source), `${stamp}\n`);
    progress(`${id}: built ${config.source} (${formatSize(component.byteLength)})`);
    return { built: true, inputs };
  } catch (cause) {
    if (cause instanceof BuildError) throw cause;
    throw new BuildError(`component "${id}": componentize failed for ${build.source}: ${errorMessage(cause)}`, { component: id }, { cause });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The writes of `todo` that would land outside the app's folder, symlinks followed, one phrase
 * each: a manifest must not be able to overwrite a file that is not the app's.
 */
async function writesOutside(app: LoadedManifest, todo: Array<[string, ComponentConfig]>): Promise<string[]> {
  const root = await realLocation(app.dir);
  const found: string[] = [];
  for (const [id, config] of todo) {
    for (const path of [config.source, stampPath(config.source)]) {
      const real = await realLocation(path);
      if (inside(root, real)) continue;
      found.push(`component "${id}" would write ${path}${real === path ? '' : ` (really ${real})`}`);
      break;
    }
  }
  return found;
}

/**
 * Builds every component of `app` that declares `build`, one after another. Unless
 * `allowOutside`, nothing is built when any output would land outside the app's folder.
 */
export async function buildComponents(app: LoadedManifest, options: BuildOptions = {}): Promise<BuildResult[]> {
  const progress = options.progress ?? (() => {});
  const todo = Object.entries(app.manifest.component).filter(([id, c]) => c.build && (!options.only || options.only.includes(id)));
  if (todo.length === 0) progress('nothing to build: no component declares [component.<id>.build]');
  const outside = options.allowOutside ? [] : await writesOutside(app, todo);
  if (outside.length > 0) {
    throw new BuildError(`${outside.join('; ')}: outside the app's folder ${app.dir}; nothing was built (--allow-outside allows it)`);
  }
  const results: BuildResult[] = [];
  for (const [i, [id, config]] of todo.entries()) {
    progress(`[${i + 1}/${todo.length}] ${id}`);
    const started = performance.now();
    const { built, inputs } = await buildComponent(id, config, options);
    results.push({ component: id, built, ms: performance.now() - started, inputs });
  }
  return results;
}
