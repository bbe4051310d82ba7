/**
 * What `spindle up` prints for a person: on a terminal (or with --log-format pretty) what it
 * serves, then readable log lines, one per failed event naming component, trigger and event id.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseManifest } from '../src/app-manifest.js';
import { prettyLine } from '../src/log.js';
import { describeServing } from '../src/serving.js';
import { failing } from './support/cli.js';
import { makeAppDir, waitFor } from './support/harness.js';
import { BIN } from './support/spindle-process.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "shop"
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/broken/..."
component = "broken"
[[trigger.redis]]
pattern = "orders.*"
component = "hello"
[[trigger.queue]]
queue = "mail"
component = "hello"
concurrency = 4
[[trigger.cron]]
schedule = "0 3 * * *"
timezone = "Europe/Vienna"
component = "hello"
[component.hello]
source = "hello.wasm"
[component.broken]
source = "trap.wasm"
`;

describe('readable output', () => {
  it('prints a log record as time, level, message and its fields', () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const line = prettyLine({ time, level: 40, msg: 'event failed: trap', component: 'api', trigger: 'http', eventId: 'e-1', ms: 3.2, route: '/a b' }, false);
    assert.equal(line, '03:04:05.678 WARN  event failed: trap component=api trigger=http eventId=e-1 ms=3.2 route="/a b"\n');
    assert.match(prettyLine({ time, level: 50, msg: 'x' }, true), /\u001b\[31mERROR\u001b\[0m x\n$/);
  });

  it('describes what an app serves: address, routes, subscriptions, queues, schedules and the admin listener', async () => {
    const { manifest } = await parseManifest(MANIFEST, '/nowhere/spindle.toml', { checkSources: false });
    assert.equal(
      describeServing(manifest, { mode: 'embedded', http: 'http://127.0.0.1:3000', admin: 'http://127.0.0.1:9464' }),
      [
        'shop (embedded)',
        'Serving http://127.0.0.1:3000',
        'Available Routes:',
        '  hello: http://127.0.0.1:3000/hello',
        '  broken: http://127.0.0.1:3000/broken/... (wildcard)',
        'Subscriptions:',
        '  orders.* (pattern) -> hello',
        'Queues:',
        '  mail -> hello (concurrency 4, 3 attempts)',
        'Schedules:',
        '  0 3 * * * (Europe/Vienna) -> hello',
        'Admin: http://127.0.0.1:9464/metrics, http://127.0.0.1:9464/healthz, http://127.0.0.1:9464/readyz',
      ].join('\n'),
    );
  });

  describe('spindle up --log-format pretty', () => {
    let dir: string;
    before(async () => {
      dir = await makeAppDir({ wat: ['hello', 'trap'], files: { 'spindle.toml': MANIFEST } });
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('prints what it serves, then one readable line per failed event', async () => {
      const child = spawn(process.execPath, [BIN, 'up', join(dir, 'spindle.toml'), '--listen', '127.0.0.1:0', '--workers', '1', '--log-format', 'pretty'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SPINDLE_CACHE_DIR: join(dir, 'cache') },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
      try {
        const url = (await waitFor(() => /^Serving (http:\/\/\S+)$/m.exec(out), 30_000, 'the serving summary'))[1]!;
        assert.match(out, new RegExp(`^  hello: ${url}/hello$`, 'm'));
        assert.match(out, /^  0 3 \* \* \* \(Europe\/Vienna\) -> hello$/m);
        await waitFor(() => / INFO  ready app=shop$/m.test(out), 10_000, 'the ready line');
        assert.equal((await fetch(`${url}/broken/x`)).status, 500);
        const failure = await waitFor(() => /^\S+ WARN  event failed: .*$/m.exec(out), 10_000, 'the failure line');
        assert.match(failure[0], / component=broken trigger=http eventId=[0-9a-f-]{36} /);
        assert.doesNotMatch(out, /^\{/m, 'no JSON lines');
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });
  });

  it('refuses an unknown log format', async () => {
    const refused = await failing('up', 'spindle.toml', '--log-format', 'xml');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--log-format expects "pretty" or "json", got "xml"/);
  });
});
