/**
 * The embedded broker: pub/sub, queues and schedules inside one process, with the delivery
 * semantics of the Redis driver (at-most-once pub/sub with channels and glob patterns; queues
 * with concurrency, attempts, backoff, give-up and bounded retention; cron ticks that never
 * overlap). Nothing survives the process: it is for `spindle up` on one machine and for tests.
 */
import { EventEmitter } from 'eventemitter3';
import cron from 'node-cron';
import {
  backoffDelay,
  checkJobAction,
  checkJobId,
  deliver,
  GiveUpError,
  ReturnToQueueError,
  type Broker,
  type CompletedJob,
  type ConsumeOptions,
  type EnqueueOptions,
  type FailedJob,
  type Job,
  type JobInfo,
  type JobState,
  type JobCounts,
  type Message,
  type MessageHandler,
  type Processor,
  type RetryPolicy,
  type ScheduleOptions,
  type Stoppable,
  type SubscriptionTarget,
  type Tick,
} from './broker.js';
import { globToRegExp } from '../util/glob.js';
import { InFlightCount } from '../util/drain.js';
import { Fifo } from '../util/fifo.js';
import { randomUuid } from '../util/uuid.js';

interface StoredJob {
  id: string;
  data: Uint8Array;
  attemptsMade: number;
  attempts: number;
  enqueuedAt: number;
  reason?: string;
  failedAt?: number;
  returnValue?: Uint8Array;
  trace?: EnqueueOptions['trace'];
}

const DEFAULT_POLICY: RetryPolicy = { attempts: 1, backoff: { type: 'fixed', delay: 0 } };

class EmbeddedQueue {
  readonly waiting = new Fifo<StoredJob>();
  readonly delayed = new Map<string, { job: StoredJob; timer: NodeJS.Timeout }>();
  readonly active = new Map<string, StoredJob>();
  readonly completed = new Fifo<StoredJob>();
  readonly failed = new Fifo<StoredJob>();
  readonly ids = new Set<string>();
  policy: RetryPolicy = DEFAULT_POLICY;
  declared = false;
  keepCompleted = 1_000;
  keepFailed = 10_000;
  /** Emits 'job' when a job becomes waiting. */
  readonly signal = new EventEmitter();

  makeWaiting(job: StoredJob): void {
    this.waiting.push(job);
    this.signal.emit('job');
  }

  /** Job `id` and the state it is in. */
  find(id: string): { job: StoredJob; state: JobState } | undefined {
    const delayed = this.delayed.get(id)?.job;
    const active = this.active.get(id);
    if (delayed) return { job: delayed, state: 'delayed' };
    if (active) return { job: active, state: 'active' };
    for (const [state, list] of [['waiting', this.waiting], ['completed', this.completed], ['failed', this.failed]] as const) {
      const job = list.find((j) => j.id === id);
      if (job) return { job, state };
    }
    return undefined;
  }

  /** Takes job `id` out of whatever list it waits or rests in. */
  take(id: string): void {
    const delayed = this.delayed.get(id);
    if (delayed) clearTimeout(delayed.timer);
    this.delayed.delete(id);
    for (const list of [this.waiting, this.completed, this.failed]) {
      list.remove((j) => j.id === id);
    }
  }

  retain(list: Fifo<StoredJob>, job: StoredJob, keep: number): void {
    list.push(job);
    while (list.length > keep) this.ids.delete(list.shift()!.id);
  }
}

export function createEmbeddedBroker(): Broker {
  const channels = new EventEmitter();
  const patterns = new Set<{ pattern: string; regexp: RegExp; handler: MessageHandler }>();
  const queues = new Map<string, EmbeddedQueue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new EmbeddedQueue()));
    return q;
  };
  // A publisher's own turn never runs the subscribers: they hear it once the publish is done, as over Redis.
  const deliverLater = (handler: MessageHandler, message: Message) => setImmediate(deliver, handler, message);

  return {

    async waitUntilReady() {},

    async publish(channel, data) {
      for (const listener of channels.listeners(channel)) deliverLater(listener as MessageHandler, { channel, data });
      for (const p of patterns) if (p.regexp.test(channel)) deliverLater(p.handler, { channel, pattern: p.pattern, data });
    },

    async subscribe(target: SubscriptionTarget, handler) {
      if ('channel' in target) {
        channels.on(target.channel, handler);
        return { stop: async () => void channels.off(target.channel, handler) };
      }
      const entry = { pattern: target.pattern, regexp: globToRegExp(target.pattern), handler };
      patterns.add(entry);
      return { stop: async () => void patterns.delete(entry) };
    },

    // One app per process: no other app can declare the same queue here.
    async declareQueue(name, policy) {
      const q = queue(name);
      q.policy = policy;
      q.declared = true;
    },

    async declaredPolicy(name) {
      const q = queues.get(name);
      return q?.declared ? q.policy : undefined;
    },

    async enqueue(name, data, options: EnqueueOptions = {}) {
      if (options.jobId !== undefined) checkJobId(options.jobId);
      const q = queue(name);
      const id = options.jobId ?? randomUuid();
      if (q.ids.has(id)) return id;
      q.ids.add(id);
      const job: StoredJob = { id, data, attemptsMade: 0, attempts: options.attempts ?? q.policy.attempts, enqueuedAt: Date.now(), ...(options.trace ? { trace: options.trace } : {}) };
      if (options.delayMs && options.delayMs > 0) {
        q.delayed.set(id, { job, timer: setTimeout(() => (q.delayed.delete(id), q.makeWaiting(job)), options.delayMs) });
      } else q.makeWaiting(job);
      return id;
    },

    async consume(name, options: ConsumeOptions, processor: Processor) {
      const q = queue(name);
      q.policy = options.policy;
      q.keepCompleted = options.keepCompleted;
      q.keepFailed = options.keepFailed;
      let stopped = false;
      const running = new InFlightCount();

      const run = async (job: StoredJob) => {
        job.attemptsMade++;
        const attempt: Job = { id: job.id, queue: name, data: job.data, attempt: job.attemptsMade, attempts: job.attempts, enqueuedAt: job.enqueuedAt, ...(job.trace ? { trace: job.trace } : {}) };
        try {
          job.returnValue = await processor(attempt);
          q.active.delete(job.id);
          q.retain(q.completed, job, q.keepCompleted);
        } catch (err) {
          q.active.delete(job.id);
          if (err instanceof ReturnToQueueError) {
            job.attemptsMade--;
            q.waiting.unshiftAll([job]);
            return;
          }
          job.reason = err instanceof Error ? err.message : String(err);
          if (err instanceof GiveUpError || job.attemptsMade >= job.attempts) {
            job.failedAt = Date.now();
            q.retain(q.failed, job, q.keepFailed);
          } else {
            const delay = backoffDelay(q.policy, job.attemptsMade);
            q.delayed.set(job.id, { job, timer: setTimeout(() => (q.delayed.delete(job.id), q.makeWaiting(job)), delay) });
          }
        }
      };

      const pump = () => {
        while (!stopped && running.size < options.concurrency && q.waiting.length > 0) {
          const job = q.waiting.shift()!;
          q.active.set(job.id, job);
          running.add();
          void run(job).finally(() => {
            running.done();
            pump();
          });
        }
      };
      q.signal.on('job', pump);
      pump();

      let stopping: Promise<void> | undefined;
      return {
        stop(drainMs = 10_000) {
          stopping ??= (async () => {
            stopped = true;
            q.signal.off('job', pump);
            await running.settled(drainMs);
          })();
          return stopping;
        },
      };
    },

    async jobCounts(name): Promise<JobCounts> {
      const q = queue(name);
      return { waiting: q.waiting.length, active: q.active.size, delayed: q.delayed.size, completed: q.completed.length, failed: q.failed.length };
    },

    async failedJobs(name, limit = 100): Promise<FailedJob[]> {
      return queue(name)
        .failed.newest(limit)
        .map((j) => ({ id: j.id, data: j.data, attemptsMade: j.attemptsMade, reason: j.reason ?? '', failedAt: j.failedAt ?? 0 }));
    },

    async completedJobs(name, limit = 100): Promise<CompletedJob[]> {
      return queue(name)
        .completed.newest(limit)
        .map((j) => ({ id: j.id, returnValue: j.returnValue, attemptsMade: j.attemptsMade }));
    },

    async job(name, id): Promise<JobInfo | undefined> {
      const found = queue(name).find(id);
      return found && { id, state: found.state, data: found.job.data };
    },

    async actOnJob(name, id, action) {
      const q = queue(name);
      const found = q.find(id);
      checkJobAction(name, id, action, found?.state);
      q.take(id);
      if (action === 'remove') {
        q.ids.delete(id);
        return;
      }
      if (action === 'retry') Object.assign(found!.job, { attemptsMade: 0, reason: undefined, failedAt: undefined });
      q.makeWaiting(found!.job);
    },

    async retryFailed(name) {
      const failed = queue(name).failed.newest(Infinity).reverse();
      for (const job of failed) await this.actOnJob(name, job.id, 'retry');
      return failed.length;
    },

    async schedule(options: ScheduleOptions, onTick: (tick: Tick) => Promise<void>, onSkip?: () => void) {
      const inFlight = new InFlightCount();
      const task = cron.schedule(
        options.cron,
        (context) => {
          inFlight.add();
          return onTick({ scheduledAt: context.date }).finally(() => inFlight.done());
        },
        { name: options.id, timezone: options.timezone, noOverlap: true },
      );
      if (onSkip) task.on('execution:overlap', onSkip);
      let stopping: Promise<void> | undefined;
      return {
        stop(drainMs = 10_000) {
          stopping ??= (async () => {
            await task.stop();
            await task.destroy();
            await inFlight.settled(drainMs);
          })();
          return stopping;
        },
      };
    },

    // Delivery in process never drops a subscriber; the pub/sub trigger bounds what waits.
    subscriberDrops: () => 0,
    reachable: () => true,

    async close() {
      for (const q of queues.values()) for (const { timer } of q.delayed.values()) clearTimeout(timer);
    },
  };
}
