/**
 * `npm test` starts by checking what npm cannot install. Where it cannot install it either (not
 * root, or no apt-get), it must fail at once with one line naming what is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../../scripts/test-prerequisites.sh', import.meta.url));

describe('the test prerequisites', () => {
  it('pass where redis-server and chromium are installed', () => {
    const run = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  it('fail with one line naming what is missing when they cannot be installed', async () => {
    // A PATH with no redis-server and no apt-get, and an `id` that says this is not root.
    const bin = await mkdtemp(join(tmpdir(), 'spindle-prereq-'));
    try {
      await writeFile(join(bin, 'id'), '#!/bin/sh\necho 1000\n');
      await chmod(join(bin, 'id'), 0o755);
      const run = spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8', env: { PATH: bin } });
      assert.equal(run.status, 1);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, /^npm test: the tests need redis-server( chromium)?: install them \(Debian: sudo apt-get install -y redis-server/);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
