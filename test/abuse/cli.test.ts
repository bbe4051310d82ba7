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
