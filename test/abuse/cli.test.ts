/**
 * The command line given what a user should not give it: every mistake gets one clear line
 * naming what was wrong, never a stack trace, and never a write outside the app's folder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failing } from '../support/cli.js';

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
