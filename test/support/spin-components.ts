/**
 * Components no one wrote against Spindle's world, built at test time from npm and cached
 * while their inputs are unchanged (never committed):
 * - `http.wasm`: a fetch-event handler built by Spin's JavaScript SDK tool `j2w`
 *   (`@spinframework/build-tools` with `@spinframework/wasi-http-proxy`), which keeps its
 *   own checksum of what it built;
 * - `redis.wasm`: a Redis-trigger component componentized against the `fermyon:spin@2.0.0`
 *   WIT of the `@fermyon/spin-sdk@2.0.0` package, fetched with `npm pack` (the package
 *   cannot be installed: one of its dependencies is a git URL);
 * - `wasi.wasm`: the same world plus the WASI interfaces Spin 3 serves (`wit/`).
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { copyFile, cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TOOLCHAIN, componentizeJs } from '../../src/build/build.js';

const run = promisify(execFile);

/** The Spin app the tests run, with its sources; components are built into its `build/`. */
export const SPIN_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/spin/', import.meta.url));
const BUILD = join(SPIN_FIXTURE, 'build');
const J2W = fileURLToPath(new URL('../../../node_modules/@spinframework/build-tools/dist/index.js', import.meta.url));
const J2W_PREOPENS = fileURLToPath(new URL('./j2w-preopens.js', import.meta.url));
const SPIN_SDK = '@fermyon/spin-sdk@2.0.0';

const exists = (path: string) => stat(path).then(() => true, () => false);

async function witFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? witFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.wit') ? [join(dir, e.name)] : []))),
  );
  return nested.flat().sort();
}

/**
 * The directory of Spin's WIT from `@fermyon/spin-sdk@2.0.0`, fetched once. Its WIT predates
 * the rename of `float32`/`float64` to `f32`/`f64` that today's parsers insist on.
 */
export async function spinSdkWit(): Promise<string> {
  const root = join(BUILD, 'spin-sdk-2.0.0');
  const wit = join(root, 'package', 'bin', 'wit');
  if (await exists(join(wit, 'spin.wit'))) return wit;
  const staging = `${root}.${randomUUID()}.tmp`;
  await mkdir(staging, { recursive: true });
  try {
    const { stdout } = await run('npm', ['pack', SPIN_SDK, '--pack-destination', staging, '--silent']);
    await run('tar', ['xzf', join(staging, stdout.trim().split('\n').pop()!), '-C', staging]);
    for (const file of await witFiles(join(staging, 'package', 'bin', 'wit'))) {
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/\bfloat32\b/g, 'f32').replace(/\bfloat64\b/g, 'f64'));
    }
    await rename(staging, root).catch(async () => {
      // Another test process fetched it first.
      await rm(staging, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`cannot fetch ${SPIN_SDK} with npm pack: ${(err as Error).message}`, { cause: err });
  }
  return wit;
}

/**
 * Spin's WIT with the fixture's additions: its worlds join Spin's package (`wit/worlds.wit`),
 * the WASI packages they import go under `deps/` (`wit/wasi.wit`).
 */
async function fixtureWit(): Promise<string> {
  const dir = join(BUILD, 'wit');
  await rm(dir, { recursive: true, force: true });
  await cp(await spinSdkWit(), dir, { recursive: true });
  await mkdir(join(dir, 'deps', 'wasi-spin3'), { recursive: true });
  await copyFile(join(SPIN_FIXTURE, 'wit', 'wasi.wit'), join(dir, 'deps', 'wasi-spin3', 'wasi.wit'));
  await copyFile(join(SPIN_FIXTURE, 'wit', 'worlds.wit'), join(dir, 'fixture-worlds.wit'));
  return dir;
}

/** Builds `build/<name>.wasm` from `src/<name>.js` for `world` unless its inputs are unchanged. */
async function buildComponent(name: string, world: string, wit: string): Promise<void> {
  const source = join(SPIN_FIXTURE, 'src', `${name}.js`);
  const output = join(BUILD, `${name}.wasm`);
  const hash = createHash('sha256').update(`${TOOLCHAIN}\0${world}\0`).update(await readFile(source));
  for (const file of await witFiles(wit)) hash.update(await readFile(file));
  const stamp = hash.digest('hex');
  const stampFile = `${output}.build-stamp`;
  if ((await exists(output)) && (await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return;
  await writeFile(output, await componentizeJs(source, wit, world));
  await writeFile(stampFile, stamp);
}

/** Builds `build/http.wasm` with `j2w`, as a Spin JavaScript project's `npm run build` does. */
async function buildHttpComponent(): Promise<void> {
  // j2w writes its intermediate files beside its input: keep them in build/.
  const input = join(BUILD, 'http-src', 'http.js');
  const output = join(BUILD, 'http.wasm');
  await mkdir(join(BUILD, 'http-src'), { recursive: true });
  await copyFile(join(SPIN_FIXTURE, 'src', 'http.js'), input);
  const { stdout, stderr } = await run(process.execPath, ['--import', J2W_PREOPENS, J2W, '-i', input, '-o', output], { cwd: SPIN_FIXTURE });
  // j2w reports a failed build on stderr and still exits 0.
  if (!(await exists(output)) || /error/i.test(stderr)) throw new Error(`j2w failed:\n${stdout}${stderr}`);
}

/** Builds the Spin fixture's components; each takes 10-30 s the first time, nothing after. */
export async function buildSpinFixture(): Promise<void> {
  await mkdir(BUILD, { recursive: true });
  await buildHttpComponent();
  const wit = await fixtureWit();
  await buildComponent('redis', 'spin-redis', wit);
  await buildComponent('wasi', 'spin-redis-wasi', wit);
}
