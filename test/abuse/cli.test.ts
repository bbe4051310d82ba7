/**
 * The command line given what a user should not give it: every mistake gets one clear line
 * naming what was wrong, never a stack trace, and never a write outside the app's folder.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failing, spindle } from '../support/cli.js';

/** A port nothing listens on: connecting to it is refused at once. */
const NOWHERE = 'redis://127.0.0.1:1';

describe('spindle enqueue --job-id', () => {
  for (const [jobId, problem] of [
    ['123', 'is a number'],
    ['a:b', "contains ':'"],
  ]) {
    it(`refuses "${jobId}" before reaching Redis, naming the id and the rule`, async () => {
      const { code, stderr } = await failing('enqueue', 'orders', '{}', '--job-id', jobId!, '--redis', NOWHERE);
      assert.equal(code, 2);
      assert.match(stderr, new RegExp(`^spindle enqueue: --job-id: job id "${jobId}" ${problem}; a job id has 1 to 256 characters, is not a number, and has no ':' and no control characters`));
    });
  }
});

describe('publish, enqueue and jobs without a Redis', () => {
  it('fail within seconds, naming the address, with exit code 1', async () => {
    const commands = [
      ['publish', 'news', 'hello'],
      ['enqueue', 'orders', '{}'],
      ['jobs', 'orders'],
    ];
    await Promise.all(
      commands.map(async (args) => {
        const started = performance.now();
        const { code, stderr } = await failing(...args, '--redis', NOWHERE);
        const ms = performance.now() - started;
        assert.equal(code, 1);
        assert.match(stderr, new RegExp(`^spindle ${args[0]}: cannot reach Redis at 127\\.0\\.0\\.1:1 within 3s \\(connect ECONNREFUSED 127\\.0\\.0\\.1:1\\); is it running`));
        // A hang check, not a measurement: the client alone would retry for about 44 s.
        assert.ok(ms < 10_000, `spindle ${args[0]} gave up after ${Math.round(ms)} ms`);
      }),
    );
  });

  it('refuses a Redis URL that is not one, as a usage error', async () => {
    const { code, stderr } = await failing('jobs', 'orders', '--redis', 'localhost');
    assert.equal(code, 2);
    assert.match(stderr, /^spindle jobs: cannot use Redis URL "localhost": Invalid URL/);
  });
});

describe('paths outside the app\'s folder', () => {
  let root: string;
  let app: string;
  const victim = () => join(root, 'victim.txt');
  const manifest = async (name: string, component: string) => {
    const file = join(app, name);
    await writeFile(file, `spindle_manifest_version = 1\n[application]\nname = "app"\n[component.evil]\n${component}\n`);
    return file;
  };

  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'spindle-outside-')));
    app = join(root, 'app');
    await mkdir(join(app, 'build'), { recursive: true });
    await mkdir(join(root, 'assets'));
    await writeFile(victim(), 'precious');
    await writeFile(join(app, 'inside.wasm'), 'not really wasm');
    await symlink(victim(), join(app, 'build', 'linked.wasm'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('spindle build refuses to write a source outside the folder, naming the component, the path and the flag', async () => {
    const file = await manifest('escape.toml', 'source = "../victim.txt"\nbuild = { source = "src/missing.js", world = "handler" }');
    const { code, stderr } = await failing('build', file);
    assert.equal(code, 1);
    assert.equal(
      stderr.trim(),
      `spindle build: component "evil" would write ${victim()}: outside the app's folder ${app}; nothing was built (--allow-outside allows it)`,
    );
    assert.equal(await readFile(victim(), 'utf8'), 'precious');
  });

  it('spindle build follows a symlinked output to where it really leads', async () => {
    const file = await manifest('linked.toml', 'source = "build/linked.wasm"\nbuild = { source = "src/missing.js", world = "handler" }');
    const { stderr } = await failing('build', file);
    assert.match(stderr, new RegExp(`^spindle build: component "evil" would write ${join(app, 'build', 'linked.wasm')} \\(really ${victim()}\\): outside`));
    assert.equal(await readFile(victim(), 'utf8'), 'precious');
  });

  it('spindle build --allow-outside goes on to build', async () => {
    const file = await manifest('allowed.toml', 'source = "../victim.txt"\nbuild = { source = "src/missing.js", world = "handler" }');
    const { stderr } = await failing('build', file, '--allow-outside');
    assert.match(stderr, /^spindle build: component "evil": cannot bundle .*missing\.js/, 'it got past the check to bundling');
  });

  it('spindle validate warns about a source or a files grant outside the folder, and passes', async () => {
    const file = await manifest('shared.toml', 'source = "../victim.txt"\nfiles = ["inside.wasm", "../assets"]');
    const { stdout, stderr } = await spindle('validate', file);
    assert.match(stdout, /: ok/);
    assert.deepEqual(stderr.trim().split('\n'), [
      `${file}: warning: component.evil.source: ${victim()} is outside the app's folder ${app}`,
      `${file}: warning: component.evil.files[1]: ${join(root, 'assets')} is outside the app's folder ${app}; the guest can read it`,
    ]);
    const quiet = await spindle('validate', await manifest('inside.toml', 'source = "inside.wasm"\nfiles = ["build"]'));
    assert.equal(quiet.stderr, '');
  });
});
