/**
 * A soak: 50,000 HTTP requests and then 20,000 queue jobs through one `spindle up` process on a
 * private Redis, in rounds, with the process's resident memory read after each. After warm-up
 * the memory must not trend upwards: after the last round it may not sit far above where it was
 * after the second. Every request is answered 200 and every job completes. The figures are
 * printed for the README's reliability section; nothing here is a speed assertion.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import autocannon from 'autocannon';
import type { Broker } from '../../src/brokers/broker.js';
import { createRedisBroker } from '../../src/brokers/redis.js';
import { formatSize } from '../../src/manifest/units.js';
import { collectingLogger, waitFor } from '../support/harness.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { listeningUrl, startSpindle, type SpindleProcess } from '../support/spindle-process.js';
import { writeWatComponent } from '../support/wat-components.js';

const REQUESTS = 50_000;
const JOBS = 20_000;
/** Rounds of each load; memory is read after each, and the first round is warm-up. */
const ROUNDS = 5;
/** Growth past warm-up that still counts as flat: allocator and JIT settling, not a leak. */
const FLAT_GROWTH = 0.15;
const FLAT_SLACK_BYTES = 16 * 1024 * 1024;

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

/**
 * Checks that memory after the last round sits near memory after the second (the first round
 * is warm-up), and says what it saw.
 */
function assertFlat(what: string, rounds: number[]): void {
  const settled = rounds[1]!;
  const last = rounds.at(-1)!;
  assert.ok(last <= settled * (1 + FLAT_GROWTH) + FLAT_SLACK_BYTES, `${what}: RSS grew from ${formatSize(settled)} to ${formatSize(last)} after warm-up (${rounds.map(formatSize).join(', ')})`);
}

describe('soak', () => {
  let redis: TestRedis;
  let dir: string;
  let node: SpindleProcess;
  let broker: Broker;
  let url: string;

  before(async () => {
    redis = await startRedis(['--appendonly', 'no']);
    dir = await mkdtemp(join(tmpdir(), 'spindle-soak-'));
    await writeWatComponent(dir, 'echo');
    await writeFile(
      join(dir, 'spindle.toml'),
      `
spindle_manifest_version = 1
[application]
name = "soak"
[runtime]
listen = "127.0.0.1:0"
[[trigger.http]]
route = "/echo"
component = "echo"
[[trigger.queue]]
queue = "soak"
component = "echo"
concurrency = 32
keep_completed = ${JOBS}
[component.echo]
source = "echo.wasm"
`,
    );
    node = startSpindle(join(dir, 'spindle.toml'), ['--redis', redis.url, '--log-level', 'info'], { SPINDLE_CACHE_DIR: join(dir, 'cache') });
    url = await listeningUrl(node);
    await waitFor(async () => (await fetch(`${url}/echo`, { method: 'POST', body: 'up?' }).catch(() => undefined))?.ok, 30_000, 'spindle up to answer');
    broker = createRedisBroker({ url: redis.url, logger: collectingLogger([]) });
  });

  after(async () => {
    node?.child.kill('SIGTERM');
    await node?.exited();
    await broker?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`answers ${REQUESTS.toLocaleString('en')} requests and completes ${JOBS.toLocaleString('en')} jobs with flat memory`, { timeout: 600_000 }, async (t) => {
    const rss = () => rssOf(node.child.pid!);
    const httpRounds: number[] = [];
    let rate = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const load = await autocannon({ url: `${url}/echo`, method: 'POST', body: 'soak', connections: 32, amount: REQUESTS / ROUNDS });
      assert.equal(load.errors, 0, 'no connection errors');
      assert.equal(load['2xx'], REQUESTS / ROUNDS, `every request answered 200 (${load.non2xx} were not)`);
      rate += load.requests.average / ROUNDS;
      httpRounds.push(await rss());
    }

    const data = new TextEncoder().encode('{"soak":true}');
    const jobRounds: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (let sent = 0; sent < JOBS / ROUNDS; sent += 500) {
        await Promise.all(Array.from({ length: 500 }, () => broker.enqueue('soak', data)));
      }
      await waitFor(async () => (await broker.jobCounts('soak')).completed === (JOBS / ROUNDS) * round, 300_000, `round ${round} of the jobs to complete`);
      jobRounds.push(await rss());
    }
    const counts = await broker.jobCounts('soak');
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, completed: JOBS, failed: 0 });

    t.diagnostic(
      `soak: ${REQUESTS} requests (${Math.round(rate)} req/s), RSS per ${REQUESTS / ROUNDS}: ${httpRounds.map(formatSize).join(', ')}; ` +
        `${JOBS} jobs, RSS per ${JOBS / ROUNDS}: ${jobRounds.map(formatSize).join(', ')}`,
    );
    assertFlat('HTTP', httpRounds);
    assertFlat('jobs', jobRounds);
  });
});
