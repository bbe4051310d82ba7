/**
 * The Redis driver: pub/sub over ioredis (one subscriber connection, binary-safe, resubscribing
 * after every reconnect), queues on BullMQ, cron on BullMQ job schedulers so each tick fires
 * once across every process sharing the Redis. Spindle adds no coordination of its own beyond
 * the queues' retry policies (`queue-policy.ts`).
 *
 * The app's queues live under BullMQ's own default prefix (`bull`), so plain BullMQ producers,
 * bull-board and Taskforce see them unconfigured; what only Spindle reads (retry policies, the
 * queues behind cron schedules) lives under `spindle`.
 *
 * What a process declared (retry policies, job schedulers) is declared again whenever the
 * commands connection comes back, and checked now and then besides, because a Redis that
 * restarts without persistence (or is flushed) forgets it: cron would stop for good and new
 * jobs would lose their retry policy.
 */
import { Queue, UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import { BrokerError, errorMessage } from '../errors.js';
import type { TraceContext } from '../event.js';
import { DEFAULT_QUEUE_PREFIX } from '../manifest/schema.js';
import { formatDuration } from '../manifest/units.js';
import type { Logger } from '../log.js';
import {
  checkJobAction,
  checkJobId,
  deliver,
  GiveUpError,
  ReturnToQueueError,
  type Broker,
  type ConsumeOptions,
  type JobCounts,
  type JobInfo,
  type JobState,
  type Message,
  type MessageHandler,
  type RetryPolicy,
  type Stoppable,
  type SubscriptionTarget,
} from './broker.js';
import { redisOptionsFromUrl } from '../redis/url.js';
import { InFlightCount } from '../util/drain.js';
import { bytesToJob, bytesToReturnValue, jobToBytes, returnValueToBytes } from './job-data.js';
import { describePolicy, judgeDeclaration, parsePolicyRecord } from './queue-policy.js';

export interface RedisBrokerOptions {
  url: string;
  logger: Logger;
  /** Key prefix of the app's queues; default BullMQ's own, `bull`. */
  queuePrefix?: string;
  /** How often to check that Redis still holds what this process declared; default 30 s. */
  declarationCheckMs?: number;
}

/** The prefix of every key only Spindle reads: retry policies, schedules' queues. */
const SPINDLE_PREFIX = 'spindle';

/** BullMQ's job states that `JobInfo` reports; `prioritized` is a kind of waiting. */
const JOB_STATES = new Set(['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed']);
/** Failed jobs retried per round trip by `retryFailed`. */
const RETRY_PAGE = 100;

/** How long a queue's retry policy read from Redis is trusted before reading it again. */
const POLICY_TTL_MS = 5_000;
const DECLARATION_CHECK_MS = 30_000;

/** Replaces a key's value only if it still holds what was read. */
const REPLACE_IF_UNCHANGED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`;

export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const queuePrefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const log = options.logger.child({ broker: 'redis' });
  // Closing a client that never reached Redis ends its dead socket and, by ioredis's default,
  // keeps a 2 s timer that holds the process open: a one-off command would linger that long.
  const base = { ...redisOptionsFromUrl(options.url), disconnectTimeout: 100 };
  const address = `${base.host}:${base.port}`;
  /** `onReady` runs on every ready connection; `reconnected` is false the first time. */
  const connect = (role: string, onReady?: (reconnected: boolean) => void) => {
    const client = new Redis(base);
    let wasReady = false;
    let lastError = '';
    client.on('ready', () => {
      if (wasReady) log.info({ role, redis: address }, 'reconnected to Redis');
      onReady?.(wasReady);
      wasReady = true;
    });
    client.on('error', (err: Error) => void (lastError = err.message));
    client.on('reconnecting', (ms: number) =>
      log.warn(
        { role, redis: address, inMs: ms, err: lastError },
        wasReady ? 'connection to Redis lost; reconnecting' : 'cannot reach Redis yet; retrying',
      ),
    );
    return client;
  };

  let commands: Redis | undefined;
  const command = () => (commands ??= connect('commands', (reconnected) => {
    if (reconnected) void redeclare();
  }));
  let subscriber: Redis | undefined;
  const channelHandlers = new Map<string, Set<MessageHandler>>();
  const patternHandlers = new Map<string, Set<MessageHandler>>();
  const queues = new Map<string, Queue>();
  const policies = new Map<string, { policy: RetryPolicy | undefined; readAt: number }>();
  /** What this process declared, to declare again when Redis has forgotten it. */
  const declaredPolicies = new Map<string, { policy: RetryPolicy; app: string }>();
  const declaredSchedules = new Map<string, { queue: string; upsert: () => Promise<unknown> }>();
  let declarationCheck: NodeJS.Timeout | undefined;
  let closed = false;
  /** The server the subscriber was last connected to, to tell a dropped subscriber from a restart. */
  let subscriberRunId: string | undefined;
  let subscriberDrops = 0;
  // BullMQ's blocking connections must retry forever instead of failing commands; given
  // options rather than a client, BullMQ owns and closes the connections it makes.
  const workerConnection = { ...base, maxRetriesPerRequest: null } as ConnectionOptions;

  /** The queue `name` under `prefix`: the app's queues by default, Spindle's own for schedules. */
  const queueFor = (name: string, prefix = queuePrefix) => {
    const key = `${prefix}:${name}`;
    let q = queues.get(key);
    if (!q) {
      q = new Queue(name, { connection: command(), prefix });
      q.on('error', (err) => log.warn({ queue: name, err: err.message }, 'queue error'));
      queues.set(key, q);
    }
    return q;
  };

  const serverRunId = async () => /^run_id:(\w+)/m.exec(await command().info('server'))?.[1];

  /**
   * Redis closes a subscriber whose output buffer passes `client-output-buffer-limit pubsub`
   * (it fell behind) and says nothing; the messages in that buffer, and those published until
   * the subscriber is back, are gone. A reconnect to the same server (same run id) is that, or
   * a CLIENT KILL; a new run id is a restart, which the reconnect log already reports.
   */
  const checkSubscriberDrop = async (reconnected: boolean) => {
    const runId = await serverRunId().catch(() => undefined);
    if (reconnected && runId !== undefined && runId === subscriberRunId) {
      subscriberDrops++;
      log.warn(
        { role: 'subscriber', redis: address, channels: [...channelHandlers.keys()], patterns: [...patternHandlers.keys()], disconnects: subscriberDrops },
        'Redis dropped the pub/sub connection while staying up (the subscriber fell behind its client-output-buffer-limit pubsub, or was killed): messages published meanwhile are lost; resubscribed',
      );
    }
    subscriberRunId = runId;
  };

  const subscriberClient = () => {
    if (subscriber) return subscriber;
    const client = connect('subscriber', (reconnected) => void checkSubscriberDrop(reconnected));
    client.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      const name = channel.toString();
      for (const h of channelHandlers.get(name) ?? []) deliver(h, { channel: name, data: new Uint8Array(data) });
    });
    client.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, data: Buffer) => {
      const p = pattern.toString();
      for (const h of patternHandlers.get(p) ?? []) deliver(h, { channel: channel.toString(), pattern: p, data: new Uint8Array(data) });
    });
    return (subscriber = client);
  };

  // Queue names hold no ':', so a prefix other than the default cannot be mistaken for a name.
  const policyKey = (queue: string) =>
    queuePrefix === DEFAULT_QUEUE_PREFIX ? `${SPINDLE_PREFIX}:policy:${queue}` : `${SPINDLE_PREFIX}:policy:${queuePrefix}:${queue}`;

  /** A queue's policy as Redis holds it, else as this process declared it (Redis may have lost it a moment ago). */
  async function readPolicy(queue: string): Promise<RetryPolicy | undefined> {
    const cached = policies.get(queue);
    if (cached && Date.now() - cached.readAt < POLICY_TTL_MS) return cached.policy;
    const raw = await command().get(policyKey(queue));
    const policy = (raw === null ? undefined : parsePolicyRecord(raw)) ?? declaredPolicies.get(queue)?.policy;
    policies.set(queue, { policy, readAt: Date.now() });
    return policy;
  }

  /** Sets `key` to `value` if it still holds `expected` (null: nothing); false if another process wrote it first. */
  async function compareAndSet(key: string, expected: string | null, value: string): Promise<boolean> {
    if (expected === null) return (await command().set(key, value, 'NX')) === 'OK';
    return (await command().eval(REPLACE_IF_UNCHANGED, 1, key, expected, value)) === 1;
  }

  /**
   * Records `app`'s policy for `queue` as `judgeDeclaration` rules. At start-up a refusal is
   * thrown; when declaring again after Redis came back (`again`), a policy in Redis is never
   * replaced and a conflict is logged, since the process is running and cannot refuse to start.
   */
  async function declarePolicy(queue: string, policy: RetryPolicy, app: string, again: boolean): Promise<void> {
    const key = policyKey(queue);
    for (;;) {
      const raw = await command().get(key);
      const verdict = judgeDeclaration({ queue, key, app, policy }, raw);
      const fields = { queue, app, policy: describePolicy(policy) };
      if (verdict.kind === 'keep') return;
      if (verdict.kind === 'refuse') {
        if (!again) throw verdict.error;
        log.error(fields, verdict.error.message);
        return;
      }
      if (verdict.kind === 'replace' && again) {
        log.info({ ...fields, inRedis: describePolicy(verdict.previous) }, 'queue retry policy in Redis differs from this process\'s, declared by another process of this app; keeping it');
        return;
      }
      if (!(await compareAndSet(key, raw, verdict.record))) continue;
      policies.set(queue, { policy, readAt: Date.now() });
      if (verdict.kind === 'replace') log.info({ ...fields, previous: describePolicy(verdict.previous) }, `queue "${queue}": app "${app}" changed its retry policy`);
      else if (again && raw === null) log.info(fields, 'queue retry policy was missing from Redis (restarted empty?); declared it again');
      return;
    }
  }

  let redeclaring = false;
  let redeclareAgain = false;
  /** Declares again whatever Redis no longer holds. Runs once at a time; a call meanwhile runs it once more after. */
  async function redeclare(): Promise<void> {
    if (redeclaring) {
      redeclareAgain = true;
      return;
    }
    redeclaring = true;
    try {
      do {
        redeclareAgain = false;
        try {
          for (const [queue, d] of declaredPolicies) if (!closed) await declarePolicy(queue, d.policy, d.app, true);
          for (const [id, s] of declaredSchedules) {
            if (closed || (await queueFor(s.queue, SPINDLE_PREFIX).getJobScheduler(id))) continue;
            await s.upsert();
            log.info({ schedule: id, redis: address }, 'schedule was missing from Redis (restarted empty?); declared it again');
          }
        } catch (err) {
          if (!closed) log.warn({ redis: address, err: errorMessage(err) }, 'could not declare queue policies and schedules again; retrying on the next check');
        }
      } while (redeclareAgain && !closed);
    } finally {
      redeclaring = false;
    }
  }

  const checkDeclarations = () => {
    declarationCheck ??= setInterval(() => {
      if (commands?.status === 'ready') void redeclare();
    }, options.declarationCheckMs ?? DECLARATION_CHECK_MS);
    declarationCheck.unref();
  };

  async function stopWorker(worker: Worker, drainMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceful = worker.close().then(() => true);
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainMs)));
    const done = await Promise.race([graceful, timedOut]);
    clearTimeout(timer);
    // Jobs still running are left locked; BullMQ hands them to another process once the lock lapses.
    if (!done) await worker.close(true);
  }

  return {

    async waitUntilReady(timeoutMs) {
      const client = command();
      let lastError = '';
      const onError = (err: Error) => void (lastError = err.message);
      client.on('error', onError);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const why = lastError ? ` (${lastError})` : '';
          reject(new BrokerError(`cannot reach Redis at ${address} within ${formatDuration(timeoutMs)}${why}; is it running, and is --redis or REDIS_URL right?`));
        }, timeoutMs);
      });
      try {
        await Promise.race([client.ping(), timedOut]);
      } catch (cause) {
        if (cause instanceof BrokerError) throw cause;
        throw new BrokerError(`cannot reach Redis at ${address}: ${errorMessage(cause)}`, {}, { cause });
      } finally {
        clearTimeout(timer);
        client.off('error', onError);
      }
    },

    async publish(channel, data) {
      await command().publish(channel, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },

    async subscribe(target: SubscriptionTarget, handler) {
      const client = subscriberClient();
      const [map, key] = 'channel' in target ? [channelHandlers, target.channel] : [patternHandlers, target.pattern];
      let set = map.get(key);
      if (!set) {
        map.set(key, (set = new Set()));
        if ('channel' in target) await client.subscribe(key);
        else await client.psubscribe(key);
      }
      set.add(handler);
      let stopped = false;
      return {
        async stop() {
          if (stopped) return;
          stopped = true;
          set.delete(handler);
          if (set.size > 0) return;
          map.delete(key);
          if (client.status !== 'ready') return;
          await ('channel' in target ? client.unsubscribe(key) : client.punsubscribe(key)).catch(() => {});
        },
      };
    },

    async declareQueue(queue, policy, app) {
      await declarePolicy(queue, policy, app, false);
      declaredPolicies.set(queue, { policy, app });
      checkDeclarations();
    },

    declaredPolicy: readPolicy,

    async enqueue(queue, data, enqueueOptions = {}) {
      if (enqueueOptions.jobId !== undefined) checkJobId(enqueueOptions.jobId);
      const policy = await readPolicy(queue);
      const { name, data: stored } = bytesToJob(data);
      const job = await queueFor(queue).add(name, stored, {
        attempts: enqueueOptions.attempts ?? policy?.attempts ?? 1,
        backoff: policy?.backoff,
        delay: enqueueOptions.delayMs,
        jobId: enqueueOptions.jobId,
        ...(enqueueOptions.trace ? { telemetry: { metadata: JSON.stringify(enqueueOptions.trace) } } : {}),
      });
      return job.id!;
    },

    async consume(queue, consume: ConsumeOptions, processor) {
      const worker = new Worker(
        queue,
        async (job: BullJob, token?: string) => {
          try {
            const result = await processor({
              id: job.id!,
              queue,
              data: jobToBytes(job.name, job.data),
              attempt: job.attemptsMade + 1,
              attempts: job.opts.attempts ?? 1,
              enqueuedAt: job.timestamp,
              ...traceOf(job),
            });
            return bytesToReturnValue(result);
          } catch (err) {
            if (err instanceof GiveUpError) throw new UnrecoverableError(err.message);
            if (err instanceof ReturnToQueueError) {
              await job.moveToWait(token);
              throw new WaitingError();
            }
            throw err;
          }
        },
        {
          connection: workerConnection,
          prefix: queuePrefix,
          concurrency: consume.concurrency,
          removeOnComplete: { count: consume.keepCompleted },
          removeOnFail: { count: consume.keepFailed },
          ...(consume.lockMs ? { lockDuration: consume.lockMs, stalledInterval: consume.lockMs } : {}),
        },
      );
      worker.on('error', (err) => log.warn({ queue, err: err.message }, 'queue worker error'));
      let stopping: Promise<void> | undefined;
      return { stop: (drainMs = 10_000) => (stopping ??= stopWorker(worker, drainMs)) };
    },

    async jobCounts(queue): Promise<JobCounts> {
      const c = await queueFor(queue).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0 };
    },

    async failedJobs(queue, limit = 100) {
      const jobs = await queueFor(queue).getFailed(0, limit - 1);
      return jobs.map((j) => ({ id: j.id!, data: jobToBytes(j.name, j.data), attemptsMade: j.attemptsMade, reason: j.failedReason ?? '', failedAt: j.finishedOn ?? 0 }));
    },

    async completedJobs(queue, limit = 100) {
      const jobs = await queueFor(queue).getCompleted(0, limit - 1);
      return jobs.map((j) => ({ id: j.id!, returnValue: j.returnvalue === undefined ? undefined : returnValueToBytes(j.returnvalue), attemptsMade: j.attemptsMade }));
    },

    async job(queue, id): Promise<JobInfo | undefined> {
      const job = await queueFor(queue).getJob(id);
      const state = job && (await job.getState());
      if (!job || !state || !JOB_STATES.has(state)) return undefined;
      return { id, state: state === 'prioritized' ? 'waiting' : (state as JobState), data: jobToBytes(job.name, job.data) };
    },

    async actOnJob(queue, id, action) {
      const found = await this.job(queue, id);
      checkJobAction(queue, id, action, found?.state);
      const job = (await queueFor(queue).getJob(id))!;
      try {
        if (action === 'retry') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        else if (action === 'promote') await job.promote();
        else await job.remove();
      } catch (cause) {
        // The job moved on between the check and the action (it ran, was retried elsewhere).
        throw new BrokerError(`could not ${action} job ${JSON.stringify(id)} of queue "${queue}": ${errorMessage(cause)}`, { queue }, { cause });
      }
    },

    async retryFailed(queue) {
      let retried = 0;
      // Each retry takes the job out of the failed set, so the first page is always the next.
      for (let page = await queueFor(queue).getFailed(0, RETRY_PAGE - 1); page.length > 0; page = await queueFor(queue).getFailed(0, RETRY_PAGE - 1)) {
        for (const job of page) await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried += page.length;
      }
      return retried;
    },

    async schedule(schedule, onTick) {
      const queue = `cron-${schedule.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const upsert = () =>
        queueFor(queue, SPINDLE_PREFIX).upsertJobScheduler(
          schedule.id,
          { pattern: schedule.cron, ...(schedule.timezone ? { tz: schedule.timezone } : {}) },
          { name: 'tick', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
        );
      await upsert();
      declaredSchedules.set(schedule.id, { queue, upsert });
      checkDeclarations();
      const inFlight = new InFlightCount();
      const worker = new Worker(
        queue,
        async (job: BullJob) => {
          inFlight.add();
          try {
            await onTick({ scheduledAt: new Date(job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0)) });
          } finally {
            inFlight.done();
          }
        },
        { connection: workerConnection, prefix: SPINDLE_PREFIX, concurrency: 1 },
      );
      worker.on('error', (err) => log.warn({ schedule: schedule.id, err: err.message }, 'schedule worker error'));
      let stopping: Promise<void> | undefined;
      return {
        stop: (drainMs = 10_000) =>
          (stopping ??= (async () => {
            declaredSchedules.delete(schedule.id);
            await inFlight.settled(drainMs);
            await stopWorker(worker, 0);
          })()),
      } satisfies Stoppable;
    },

    subscriberDrops: () => subscriberDrops,

    reachable: () => commands?.status === 'ready',

    async close() {
      closed = true;
      clearInterval(declarationCheck);
      const results = await Promise.allSettled([
        ...[...queues.values()].map((q) => q.close()),
        closeClient(subscriber),
        closeClient(commands),
      ]);
      for (const r of results) if (r.status === 'rejected') log.warn({ err: errorMessage(r.reason) }, 'closing the Redis broker');
    },
  };
}

/**
 * The trace a job carries in BullMQ's own propagation field, as Spindle and BullMQ's
 * OpenTelemetry integration both write it: the W3C headers as JSON. Anything else is no trace.
 */
function traceOf(job: BullJob): { trace?: TraceContext } {
  const metadata = job.opts.telemetry?.metadata;
  if (!metadata) return {};
  try {
    const { traceparent, tracestate } = JSON.parse(metadata) as Partial<TraceContext>;
    if (typeof traceparent !== 'string') return {};
    return { trace: typeof tracestate === 'string' && tracestate ? { traceparent, tracestate } : { traceparent } };
  } catch {
    return {};
  }
}

/** Quits a connected client politely; one that never connected (or lost Redis) just stops retrying. */
async function closeClient(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
