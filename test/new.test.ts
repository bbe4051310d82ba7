/**
 * `spindle new` as a user runs it: each template generated in a clean temporary folder, then
 * `npm install`, `npm test` (type-check, build, the template's own test) and `npm start`, which
 * must answer on the template's route. Builds are kept between runs under `.spindle/` and put
 * back before `npm test`: `spindle build` reuses them only while the bundle is unchanged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TEMPLATES } from '../src/new/templates.js';
import { BIN } from './support/spindle-process.js';

const BUILDS = fileURLToPath(new URL('../../.spindle/template-builds/', import.meta.url));

/**
 * The environment a user's shell would have: without the npm_* variables of an outer npm run,
 * which would steer npm here, and without the test runner's marker, which would keep the
 * project's own `node --test` from running its files.
 */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && name !== 'NODE_TEST_CONTEXT'));

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const { code, output } = await run(command, args, cwd);
  assert.equal(code, 0, `${command} ${args.join(' ')} in ${cwd} exited ${code}:\n${output}`);
  return output;
}

/** `npm start` on a free port until `use` is done with its URL; its process group is stopped after. */
async function withStarted<T>(dir: string, use: (url: string) => Promise<T>): Promise<T> {
  const child = spawn('npm', ['start', '--', '--listen', '127.0.0.1:0'], { cwd: dir, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let partial = '';
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before listening`)));
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          const url = line.startsWith('{') ? (JSON.parse(line) as { url?: unknown }).url : undefined;
          if (typeof url === 'string') resolve(url);
        }
      });
    });
    return await use(url);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
}

/** A request each template's `npm start` must answer, and what it answers. */
const ROUTES: Record<string, { path: string; init?: RequestInit; status: number }> = {
  'http-api': { path: '/items', status: 200 },
  'queue-worker': { path: '/jobs', init: { method: 'POST', body: '{"text":"hi"}' }, status: 202 },
  pubsub: { path: '/messages', status: 200 },
  cron: { path: '/runs', status: 200 },
  'wasi-http': { path: '/hello', status: 200 },
};

describe('spindle new', () => {
  let work: string;
  before(async () => (work = await mkdtemp(join(tmpdir(), 'spindle-new-'))));
  after(() => rm(work, { recursive: true, force: true }));

  it('lists every template', async () => {
    const listed = await ok(process.execPath, [BIN, 'new', '--list'], work);
    for (const template of TEMPLATES) assert.match(listed, new RegExp(`^  ${template.name} `, 'm'));
    assert.deepEqual(Object.keys(ROUTES).sort(), TEMPLATES.map((t) => t.name).sort(), 'every template has a route checked below');
  });

  it('refuses an unknown template and a folder that is not empty', async () => {
    const unknown = await run(process.execPath, [BIN, 'new', 'nope', 'x'], work);
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /no template "nope"; the templates are:\n {2}http-api/);
    await writeFile(join(work, 'taken'), '');
    const taken = await run(process.execPath, [BIN, 'new', 'http-api', '.'], work);
    assert.equal(taken.code, 1);
    assert.match(taken.output, /exists and is not empty/);
  });

  for (const { name } of TEMPLATES) {
    it(`${name}: generates, installs, passes its own test, and answers on its route`, async () => {
      const dir = join(work, `my-${name}`);
      await ok(process.execPath, [BIN, 'new', name, dir], work);
      const manifest = await readFile(join(dir, 'spindle.toml'), 'utf8');
      assert.match(manifest, /^#:schema \.\/node_modules\/spindle\/schema\/spindle\.schema\.json\n/);
      assert.match(manifest, new RegExp(`^name = "my-${name}"$`, 'm'));

      await cp(join(BUILDS, name), join(dir, 'build'), { recursive: true }).catch(() => {});
      await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
      const tested = await ok('npm', ['test'], dir);
      assert.match(tested, /^# pass [1-9]/m);
      assert.match(tested, /^# fail 0$/m);
      await cp(join(dir, 'build'), join(BUILDS, name), { recursive: true });

      const route = ROUTES[name]!;
      const status = await withStarted(dir, async (url) => {
        const res = await fetch(`${url}${route.path}`, route.init);
        await res.arrayBuffer();
        return res.status;
      });
      assert.equal(status, route.status);

      if (name === 'http-api') {
        // The SDK's types reach the project: a wrong argument to a key-value call fails `tsc`.
        const handler = join(dir, 'src', 'api.ts');
        await writeFile(handler, `${await readFile(handler, 'utf8')}\nexport const wrong = () => kv.increment('items', 'count', '1');\n`);
        const { code, output } = await run('npm', ['run', 'typecheck'], dir);
        assert.notEqual(code, 0);
        assert.match(output, /src\/api\.ts\(\d+,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
      }
    });
  }
});
