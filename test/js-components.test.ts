/**
 * componentize-js components failing the ways JavaScript handlers fail: a thrown Error, a
 * thrown handler-error, a returned err, a fetch handler that throws mid-response.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startBuiltApp, type BuiltApp } from './support/harness.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));

describe('JavaScript components', () => {
  let built: BuiltApp;
  let url: string;
  let logs: BuiltApp['logs'];
  const failureOf = (res: Response) => built.failureOf(res);

  before(async () => {
    built = await startBuiltApp(FIXTURES);
    ({ url, logs } = built);
  });
  after(() => built?.app.stop());

  it('keeps a pooled instance warm between events', async () => {
    const first = Number(await (await fetch(`${url}/handler/count`)).text());
    const second = Number(await (await fetch(`${url}/handler/count`)).text());
    assert.equal(second, first + 1);
  });

  it('gives every event a fresh JavaScript engine in per-event isolation', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(await (await fetch(`${url}/fresh/count`)).text());
    assert.deepEqual(counts, ['1', '1', '1']);
  });

  it('treats a thrown Error as a trap and serves the next event from a fresh instance', async () => {
    const failed = await fetch(`${url}/handler/throw-error`);
    assert.equal(failed.status, 500);
    assert.equal(failureOf(failed), 'trap');
    assert.ok(logs.some((l) => l.component === 'handler' && l.stream === 'stderr' && String(l.msg).includes('handler blew up')), 'the guest\'s error reaches the log');
    const next = await fetch(`${url}/handler/count`);
    assert.equal(next.status, 200);
    assert.equal(await next.text(), '1', 'a fresh instance starts counting again');
  });

  it('tells a thrown retry-later and a returned give-up apart', async () => {
    const retry = await fetch(`${url}/handler/retry`);
    const giveUp = await fetch(`${url}/handler/give-up`);
    assert.equal(retry.status, 500);
    assert.equal(giveUp.status, 500);
    assert.equal(failureOf(retry), 'retry-later');
    assert.equal(failureOf(giveUp), 'give-up');
    assert.equal((await fetch(`${url}/handler/ok`)).status, 200, 'an error value does not poison the instance');
  });

  it('answers when a wasi:http handler throws mid-response, and serves the next request', async () => {
    const failed = await fetch(`${url}/fetch/throw`);
    assert.equal(failed.status, 500);
    await failed.arrayBuffer();
    const next = await fetch(`${url}/fetch/ok`);
    assert.equal(next.status, 200);
    assert.equal(await next.text(), 'ok /fetch/ok');
  });
});
