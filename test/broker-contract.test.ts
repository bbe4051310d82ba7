/**
 * One contract, two drivers: every test here runs against the embedded broker and against the
 * Redis driver on a private redis-server, so both keep the same delivery semantics.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GiveUpError, InvalidJobIdError, JOB_ID_RULE, ReturnToQueueError, type Broker, type Job, type Message, type Stoppable } from '../src/brokers/broker.js';
import { createEmbeddedBroker } from '../src/brokers/embedded.js';
import { createRedisBroker } from '../src/brokers/redis.js';
import { collectingLogger, waitFor } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const unique = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const policy = (attempts: number, type: 'fixed' | 'exponential' = 'fixed', delay = 20) => ({ attempts, backoff: { type, delay } });
const APP = 'contract';
const consumeOptions = (attempts: number, concurrency = 1) => ({ concurrency, policy: policy(attempts), keepCompleted: 100, keepFailed: 100 });

/** What a driver does with a tick that comes while the previous one still runs. */
type Overlap = 'skipped' | 'waits as the next run';

function testBroker(name: string, overlap: Overlap, create: () => Promise<Broker>, cleanup: () => Promise<void>) {
  describe(`broker contract: ${name}`, () => {
    let broker: Broker;
    const stoppables: Stoppable[] = [];
    before(async () => {
      broker = await create();
    });
    after(async () => {
      await Promise.all(stoppables.map((s) => s.stop(1_000)));
      await broker.close();
      await cleanup();
    });
    const track = <T extends Stoppable>(s: T) => (stoppables.push(s), s);

    it('delivers a published message to every subscriber of the channel, bytes intact', async () => {
      const channel = unique('ch');
      const a: Message[] = [];
      const b: Message[] = [];
      track(await broker.subscribe({ channel }, async (m) => void a.push(m)));
      track(await broker.subscribe({ channel }, async (m) => void b.push(m)));
      const payload = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80, 10, 13]);
      await broker.publish(channel, payload);
      await waitFor(() => a.length === 1 && b.length === 1, 5_000, 'both subscribers');
      assert.deepEqual([...a[0]!.data], [...payload]);
      assert.deepEqual([...b[0]!.data], [...payload]);
      assert.equal(a[0]!.channel, channel);
      assert.equal(a[0]!.pattern, undefined);
    });

    it('delivers to glob pattern subscriptions with the channel and the pattern', async () => {
      const base = unique('orders');
      const seen: Message[] = [];
      track(await broker.subscribe({ pattern: `${base}.*` }, async (m) => void seen.push(m)));
      await broker.publish(`${base}.created`, bytes('one'));
      await broker.publish(`${base}x.created`, bytes('not matching'));
      await broker.publish(`${base}.paid`, bytes('two'));
      await waitFor(() => seen.length === 2, 5_000, 'two pattern messages');
      assert.deepEqual(seen.map((m) => [m.channel, m.pattern, text(m.data)]).sort(), [
        [`${base}.created`, `${base}.*`, 'one'],
        [`${base}.paid`, `${base}.*`, 'two'],
      ]);
    });

    it('stops delivering after a subscription stops', async () => {
      const channel = unique('ch');
      const seen: Message[] = [];
      const other: Message[] = [];
      const sub = await broker.subscribe({ channel }, async (m) => void seen.push(m));
      track(await broker.subscribe({ channel }, async (m) => void other.push(m)));
      await broker.publish(channel, bytes('1'));
      await waitFor(() => seen.length === 1 && other.length === 1);
      await sub.stop();
      await broker.publish(channel, bytes('2'));
      await waitFor(() => other.length === 2);
      assert.equal(seen.length, 1);
    });

    it('runs a job and stores the processor\'s result as its return value', async () => {
      const queue = unique('q');
      const seen: Job[] = [];
      track(await broker.consume(queue, consumeOptions(1), async (job) => (seen.push(job), bytes(`done ${text(job.data)}`))));
      const id = await broker.enqueue(queue, bytes('{"n":1}'));
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1, 5_000, 'the job to complete');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.id, id);
      assert.equal(text(seen[0]!.data), '{"n":1}');
      assert.equal(seen[0]!.attempt, 1);
      const [done] = await broker.completedJobs(queue);
      assert.equal(done!.id, id);
      assert.equal(text(done!.returnValue), 'done {"n":1}');
    });

    it('keeps binary job data and return values intact', async () => {
      const queue = unique('q');
      const payload = new Uint8Array([0xff, 0, 0xfe, 1]);
      let got: Uint8Array | undefined;
      track(await broker.consume(queue, consumeOptions(1), async (job) => ((got = job.data), new Uint8Array([9, 0xff]))));
      await broker.enqueue(queue, payload);
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1);
      assert.deepEqual([...got!], [...payload]);
      assert.deepEqual([...(await broker.completedJobs(queue))[0]!.returnValue!], [9, 0xff]);
    });

    it('keeps job data and return values that look like the byte wrapper exactly as given', async () => {
      const queue = unique('q');
      const lookalike = '{"spindle_bytes":"aGk="}';
      let got = '';
      track(await broker.consume(queue, consumeOptions(1), async (job) => ((got = text(job.data)), bytes(lookalike))));
      await broker.enqueue(queue, bytes(lookalike));
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1);
      assert.equal(got, lookalike);
      assert.equal(text((await broker.completedJobs(queue))[0]!.returnValue), lookalike);
    });

    it('retries a failing job with the declared attempts and then completes it', async () => {
      const queue = unique('q');
      const attempts: number[] = [];
      await broker.declareQueue(queue, policy(3), APP);
      track(
        await broker.consume(queue, consumeOptions(3), async (job) => {
          attempts.push(job.attempt);
          if (job.attempt < 3) throw new Error(`attempt ${job.attempt} failed`);
          return bytes('third time lucky');
        }),
      );
      await broker.enqueue(queue, bytes('{}'));
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1, 10_000, 'completion after retries');
      assert.deepEqual(attempts, [1, 2, 3]);
    });

    it('fails a job for good after its attempts, keeping it with the last reason', async () => {
      const queue = unique('q');
      await broker.declareQueue(queue, policy(2), APP);
      track(await broker.consume(queue, consumeOptions(2), async (job) => { throw new Error(`broken on attempt ${job.attempt}`); }));
      const id = await broker.enqueue(queue, bytes('{"x":1}'));
      await waitFor(async () => (await broker.jobCounts(queue)).failed === 1, 10_000, 'the job to fail');
      const [failed] = await broker.failedJobs(queue);
      assert.equal(failed!.id, id);
      assert.equal(failed!.attemptsMade, 2);
      assert.equal(failed!.reason, 'broken on attempt 2');
      assert.equal(text(failed!.data), '{"x":1}');
    });

    it('fails a job at once on GiveUpError, whatever attempts remain', async () => {
      const queue = unique('q');
      await broker.declareQueue(queue, policy(5), APP);
      let calls = 0;
      track(await broker.consume(queue, consumeOptions(5), async () => { calls++; throw new GiveUpError('malformed order'); }));
      await broker.enqueue(queue, bytes('{}'));
      await waitFor(async () => (await broker.jobCounts(queue)).failed === 1, 5_000);
      assert.equal(calls, 1);
      assert.equal((await broker.failedJobs(queue))[0]!.reason, 'malformed order');
    });

    it('takes a job handed back with ReturnToQueueError again without spending the attempt', async () => {
      const queue = unique('q');
      await broker.declareQueue(queue, policy(1), APP);
      const attempts: number[] = [];
      track(
        await broker.consume(queue, consumeOptions(1), async (job) => {
          attempts.push(job.attempt);
          if (attempts.length === 1) throw new ReturnToQueueError('the process is stopping');
          return bytes('done');
        }),
      );
      await broker.enqueue(queue, bytes('{}'));
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1, 10_000, 'the job to run again and complete');
      assert.deepEqual(attempts, [1, 1], 'the same attempt ran twice; its only attempt was not used up');
      assert.equal((await broker.completedJobs(queue))[0]!.attemptsMade, 1);
    });

    it('waits the exponential backoff between attempts', async () => {
      const queue = unique('q');
      const p = policy(3, 'exponential', 150);
      await broker.declareQueue(queue, p, APP);
      const times: number[] = [];
      track(await broker.consume(queue, { ...consumeOptions(3), policy: p }, async () => { times.push(Date.now()); throw new Error('again'); }));
      await broker.enqueue(queue, bytes('{}'));
      await waitFor(async () => (await broker.jobCounts(queue)).failed === 1, 10_000);
      assert.equal(times.length, 3);
      assert.ok(times[1]! - times[0]! >= 140, `first retry after ${times[1]! - times[0]!} ms, expected ≥ 150`);
      assert.ok(times[2]! - times[1]! >= 290, `second retry after ${times[2]! - times[1]!} ms, expected ≥ 300`);
    });

    it('runs at most `concurrency` jobs at once', async () => {
      const queue = unique('q');
      let running = 0;
      let peak = 0;
      track(
        await broker.consume(queue, consumeOptions(1, 3), async () => {
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 60));
          running--;
          return undefined;
        }),
      );
      for (let i = 0; i < 9; i++) await broker.enqueue(queue, bytes(`${i}`));
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 9, 10_000);
      assert.equal(peak, 3);
    });

    it('adds a job with a given id only once', async () => {
      const queue = unique('q');
      let calls = 0;
      track(await broker.consume(queue, consumeOptions(1), async () => (calls++, undefined)));
      const first = await broker.enqueue(queue, bytes('1'), { jobId: 'order-42' });
      const second = await broker.enqueue(queue, bytes('2'), { jobId: 'order-42' });
      assert.equal(first, 'order-42');
      assert.equal(second, 'order-42');
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, 1);
    });

    it('tells a declared queue, with its policy, from one no app has declared', async () => {
      const queue = unique('q');
      assert.equal(await broker.declaredPolicy(queue), undefined);
      await broker.enqueue(queue, bytes('{}'));
      assert.equal(await broker.declaredPolicy(queue), undefined, 'a job alone does not declare its queue');
      await broker.declareQueue(queue, policy(4), APP);
      assert.deepEqual(await broker.declaredPolicy(queue), policy(4));
    });

    it('refuses a job id outside the one rule both drivers share, naming the id and the rule', async () => {
      const queue = unique('q');
      const refused: Array<[string, string]> = [
        ['123', '"123" is a number'],
        ['-5', '"-5" is a number'],
        ['NaN', '"NaN" is a number'],
        ['a:b', `"a:b" contains ':'`],
        ['', '"" is empty'],
        ['x'.repeat(257), 'has 257 characters'],
        ['line\nbreak', '"line\\nbreak" contains a control character'],
      ];
      for (const [jobId, problem] of refused) {
        await assert.rejects(broker.enqueue(queue, bytes('{}'), { jobId }), (err: Error) => {
          assert.ok(err instanceof InvalidJobIdError, `${JSON.stringify(jobId)}: ${err.name}: ${err.message}`);
          assert.ok(err.message.includes(problem), err.message);
          assert.ok(err.message.endsWith(JOB_ID_RULE), err.message);
          return true;
        });
      }
      assert.equal((await broker.jobCounts(queue)).waiting, 0);
      const accepted = ['order-42', '0123', '1e3', 'commande é 7', 'x'.repeat(256)];
      for (const jobId of accepted) assert.equal(await broker.enqueue(queue, bytes('{}'), { jobId }), jobId);
      assert.equal((await broker.jobCounts(queue)).waiting, accepted.length);
    });

    it('retries a failed job with its attempts renewed, and every failed job at once', async () => {
      const queue = unique('q');
      await broker.declareQueue(queue, policy(2), APP);
      let fixed = false;
      const attempts = new Map<string, number[]>();
      track(await broker.consume(queue, consumeOptions(2), async (job) => {
        attempts.set(job.id, [...(attempts.get(job.id) ?? []), job.attempt]);
        if (!fixed) throw new Error('not yet');
        return job.data;
      }));
      const ids = [await broker.enqueue(queue, bytes('{"n":1}')), await broker.enqueue(queue, bytes('{"n":2}')), await broker.enqueue(queue, bytes('{"n":3}'))];
      await waitFor(async () => (await broker.jobCounts(queue)).failed === 3, 10_000, 'three failed jobs');
      assert.equal((await broker.job(queue, ids[0]!))?.state, 'failed');
      fixed = true;
      await broker.actOnJob(queue, ids[0]!, 'retry');
      await waitFor(async () => (await broker.job(queue, ids[0]!))?.state === 'completed', 5_000, 'the retried job to complete');
      assert.deepEqual(attempts.get(ids[0]!), [1, 2, 1], 'a retry starts the attempts over');
      assert.equal(await broker.retryFailed(queue), 2);
      await waitFor(async () => (await broker.jobCounts(queue)).completed === 3, 5_000, 'every job completed');
      assert.equal((await broker.jobCounts(queue)).failed, 0);
      await assert.rejects(broker.actOnJob(queue, ids[1]!, 'retry'), new RegExp(`job "${ids[1]}" of queue "${queue}" is completed; only a failed job can be retried`));
    });

    it('promotes a delayed job, removes one, and tells a missing job apart', async () => {
      const queue = unique('q');
      const later = await broker.enqueue(queue, bytes('{"later":true}'), { delayMs: 3_600_000 });
      const info = await broker.job(queue, later);
      assert.equal(info?.state, 'delayed');
      assert.equal(text(info?.data), '{"later":true}');
      await broker.actOnJob(queue, later, 'promote');
      assert.equal((await broker.job(queue, later))?.state, 'waiting');
      await assert.rejects(broker.actOnJob(queue, later, 'promote'), /is waiting; only a delayed job can be promoted/);
      await broker.actOnJob(queue, later, 'remove');
      assert.equal(await broker.job(queue, later), undefined);
      assert.equal((await broker.jobCounts(queue)).waiting, 0);
      await assert.rejects(broker.actOnJob(queue, later, 'remove'), new RegExp(`job "${later}" of queue "${queue}" does not exist`));
    });

    it('hands a job the trace context it was enqueued with, and none to a job enqueued without', async () => {
      const queue = unique('q');
      const seen = new Map<string, Job['trace']>();
      track(await broker.consume(queue, consumeOptions(1), async (job) => (seen.set(job.id, job.trace), undefined)));
      const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=abc' };
      const traced = await broker.enqueue(queue, bytes('{}'), { trace });
      const plain = await broker.enqueue(queue, bytes('{}'));
      await waitFor(() => seen.size === 2, 5_000, 'both jobs');
      assert.deepEqual(seen.get(traced), trace);
      assert.equal(seen.get(plain), undefined);
    });

    it('holds a delayed job back until its delay has passed', async () => {
      const queue = unique('q');
      const enqueued = Date.now();
      let ranAt = 0;
      track(await broker.consume(queue, consumeOptions(1), async () => ((ranAt = Date.now()), undefined)));
      await broker.enqueue(queue, bytes('{}'), { delayMs: 300 });
      assert.equal((await broker.jobCounts(queue)).delayed, 1);
      await waitFor(() => ranAt > 0, 5_000);
      assert.ok(ranAt - enqueued >= 290, `ran after ${ranAt - enqueued} ms`);
    });

    it('fires a per-second schedule on whole seconds and stops firing when stopped', async () => {
      const ticks: Date[] = [];
      const schedule = await broker.schedule({ id: unique('every-second'), cron: '* * * * * *' }, async (tick) => void ticks.push(tick.scheduledAt));
      await waitFor(() => ticks.length >= 2, 5_000, 'two ticks');
      await schedule.stop(1_000);
      const count = ticks.length;
      for (const t of ticks) assert.equal(t.getMilliseconds(), 0, `tick at ${t.toISOString()}`);
      assert.equal(new Set(ticks.map((t) => t.getTime())).size, ticks.length, 'each second fires once');
      await new Promise((r) => setTimeout(r, 1_300));
      assert.equal(ticks.length, count, 'no tick after stop');
    });

    it(`never overlaps a schedule's runs: a tick during a run is ${overlap}`, async () => {
      const runs: Array<{ due: number; started: number; ended: number }> = [];
      const schedule = await broker.schedule({ id: unique('slow-tick'), cron: '* * * * * *' }, async (tick) => {
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 1_500));
        runs.push({ due: tick.scheduledAt.getTime(), started, ended: Date.now() });
      });
      await waitFor(() => runs.length >= 2, 8_000, 'two runs');
      await schedule.stop(2_000);
      const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
      assert.ok(second.started >= first.ended, 'the second run started after the first ended');
      const gap = second.due - first.due;
      if (overlap === 'skipped') assert.ok(gap >= 2_000, `the tick due during the first run was skipped (ticks ${gap} ms apart)`);
      else assert.equal(gap, 1_000, 'the tick due during the first run ran next, late');
    });
  });
}

testBroker('embedded', 'skipped', async () => createEmbeddedBroker(), async () => {});

let redis: TestRedis | undefined;
testBroker(
  'redis',
  'waits as the next run',
  async () => {
    redis = await startRedis();
    return createRedisBroker({ url: redis.url, logger: collectingLogger([]) });
  },
  async () => redis?.stop(),
);
