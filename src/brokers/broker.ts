/**
 * The broker: pub/sub, queues and schedules behind one interface, so triggers and the CLI never
 * see a transport. Two drivers implement it with the same delivery semantics: `embedded` (one
 * process, in memory) and `redis` (ioredis pub/sub, BullMQ queues and job schedulers, shared by
 * every process on the same Redis). One contract test suite runs against both.
 */
import { BrokerError } from '../errors.js';
import type { TraceContext } from '../event.js';

/** A pub/sub message. Pub/sub is at-most-once: a subscriber that is away misses messages. */
export interface Message {
  channel: string;
  /** The pattern that matched, for pattern subscriptions. */
  pattern?: string;
  data: Uint8Array;
}

export type SubscriptionTarget = { channel: string } | { pattern: string };

/**
 * Takes one pub/sub message, synchronously, in the order they came; what it starts is its own to
 * track. A handler that throws does not stop delivery, to it or to others: its errors are its
 * own to report.
 */
export type MessageHandler = (message: Message) => void;

/** Calls `handler` with `message`, as every broker delivers: what it throws stays with it. */
export function deliver(handler: MessageHandler, message: Message): void {
  try {
    handler(message);
  } catch {
    // The handler's to report; delivery goes on.
  }
}

export interface RetryPolicy {
  /** Tries in total before a job fails for good. */
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
}

export interface EnqueueOptions {
  /** Wait this long before the job can run. */
  delayMs?: number;
  /**
   * A job id makes enqueueing idempotent: a second job with the same id is not added. It must
   * follow `JOB_ID_RULE`.
   */
  jobId?: string;
  /** Overrides the queue's retry policy for this job. */
  attempts?: number;
  /** The trace the job continues, handed to whoever runs it. */
  trace?: TraceContext;
}

/** A job handed to a processor. */
export interface Job {
  id: string;
  queue: string;
  data: Uint8Array;
  /** 1 for the first try. */
  attempt: number;
  attempts: number;
  enqueuedAt: number;
  /** The trace of whatever enqueued the job, when it carried one. */
  trace?: TraceContext;
}

export interface ConsumeOptions {
  concurrency: number;
  policy: RetryPolicy;
  keepCompleted: number;
  keepFailed: number;
  /** A job whose process stops renewing its lock for this long is handed to another process. */
  lockMs?: number;
}

/**
 * Processes one job. Resolves with the job's return value; throws to fail this attempt (the job
 * is retried with backoff while attempts remain), `GiveUpError` to fail it at once, or
 * `ReturnToQueueError` to hand it back without spending the attempt.
 */
export type Processor = (job: Job) => Promise<Uint8Array | undefined>;

/** Thrown by a processor to fail a job without further attempts. */
export class GiveUpError extends Error {
  override name = 'GiveUpError';
}

/**
 * Thrown by a processor whose work was cut short by its own process stopping: the job goes back
 * to waiting, for this or another process, and the attempt does not count against it.
 */
export class ReturnToQueueError extends Error {
  override name = 'ReturnToQueueError';
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface FailedJob {
  id: string;
  data: Uint8Array;
  attemptsMade: number;
  reason: string;
  failedAt: number;
}

export interface CompletedJob {
  id: string;
  returnValue: Uint8Array | undefined;
  attemptsMade: number;
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

/** A job as it is now, found by id. */
export interface JobInfo {
  id: string;
  state: JobState;
  data: Uint8Array;
}

/**
 * What can be done to one job: `retry` a failed job (back to waiting with its attempts renewed),
 * `promote` a delayed one (it runs now), `remove` one that is not running.
 */
export type JobAction = 'retry' | 'promote' | 'remove';

/** A tick of a schedule, with the time it was due. */
export interface Tick {
  scheduledAt: Date;
}

export interface ScheduleOptions {
  /** Unique within the app; the same id in several processes is the same schedule. */
  id: string;
  /** 5 fields (minutes) or 6 (seconds first). */
  cron: string;
  timezone?: string;
}

/** Something started that must be stopped: a subscription, a consumer, a schedule. */
export interface Stoppable {
  /** Stops taking work and waits up to `drainMs` for work in progress. Idempotent. */
  stop(drainMs?: number): Promise<void>;
}

export interface Broker {
  /** Resolves once the broker can take work; rejects with a `BrokerError` after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<void>;
  publish(channel: string, data: Uint8Array): Promise<void>;
  subscribe(target: SubscriptionTarget, handler: MessageHandler): Promise<Stoppable>;
  /**
   * Records the retry policy `app` declares for `queue`, applied to every job enqueued through
   * Spindle. Queues are shared by name: rejects with a `BrokerError` naming both policies when
   * another app declared a different one (see `queue-policy.ts`).
   */
  declareQueue(queue: string, policy: RetryPolicy, app: string): Promise<void>;
  /** The retry policy declared for `queue`, or undefined when no app has declared it. */
  declaredPolicy(queue: string): Promise<RetryPolicy | undefined>;
  /** Adds a job and returns its id. */
  enqueue(queue: string, data: Uint8Array, options?: EnqueueOptions): Promise<string>;
  consume(queue: string, options: ConsumeOptions, processor: Processor): Promise<Stoppable>;
  jobCounts(queue: string): Promise<JobCounts>;
  failedJobs(queue: string, limit?: number): Promise<FailedJob[]>;
  completedJobs(queue: string, limit?: number): Promise<CompletedJob[]>;
  /** Job `id` of `queue`, or undefined when there is none (never added, removed, or past retention). */
  job(queue: string, id: string): Promise<JobInfo | undefined>;
  /** Acts on job `id`; rejects with a `BrokerError` naming the queue, the job and its state when the action does not apply. */
  actOnJob(queue: string, id: string, action: JobAction): Promise<void>;
  /** Retries every failed job of `queue` as `actOnJob` would; resolves to how many. */
  retryFailed(queue: string): Promise<number>;
  /**
   * Fires `onTick` once per tick of `options.cron`, across every process sharing the broker.
   * Runs of one schedule never overlap and never pile up. A tick that comes while the previous
   * one is still running is skipped by the embedded driver (and `onSkip` called); on Redis it
   * is the scheduler's single next job and runs, late, when the previous one ends.
   */
  schedule(options: ScheduleOptions, onTick: (tick: Tick) => Promise<void>, onSkip?: () => void): Promise<Stoppable>;
  /**
   * How many times the broker dropped this process's pub/sub subscriber (on Redis: closed it for
   * falling behind, past `client-output-buffer-limit pubsub`); each time, messages were lost.
   */
  subscriberDrops(): number;
  /** False while the broker has lost its connection (on Redis: the commands connection is not ready). */
  reachable(): boolean;
  /** Closes connections. Stop subscriptions, consumers and schedules first. Idempotent. */
  close(): Promise<void>;
}

/**
 * What a job id may be, the same for both drivers. BullMQ refuses ids that read as a number
 * (its own ids are numbers) and ids with ':' (its key separator); the length bound and the ban
 * on control characters keep ids printable in logs and `spindle jobs`.
 */
const MAX_JOB_ID_LENGTH = 256;
export const JOB_ID_RULE = `a job id has 1 to ${MAX_JOB_ID_LENGTH} characters, is not a number, and has no ':' and no control characters`;

/** A job id that breaks `JOB_ID_RULE`. */
export class InvalidJobIdError extends BrokerError {
  override name = 'InvalidJobIdError';
}

/** What is wrong with job id `id`, naming the id and the rule; undefined when it is fine. */
export function jobIdProblem(id: string): string | undefined {
  const length = [...id].length;
  const problem =
    length === 0 ? 'is empty'
    : length > MAX_JOB_ID_LENGTH ? `has ${length} characters`
    : /\p{Cc}/u.test(id) ? 'contains a control character'
    : id.includes(':') ? "contains ':'"
    // BullMQ's own test: whatever parseInt gives back unchanged, "NaN" included.
    : String(parseInt(id, 10)) === id ? 'is a number'
    : undefined;
  if (!problem) return undefined;
  const shown = length > 64 ? `${JSON.stringify([...id].slice(0, 64).join(''))}...` : JSON.stringify(id);
  return `job id ${shown} ${problem}; ${JOB_ID_RULE}`;
}

/** Throws `InvalidJobIdError` unless `id` follows `JOB_ID_RULE`; both drivers call it before adding a job. */
export function checkJobId(id: string): void {
  const problem = jobIdProblem(id);
  if (problem) throw new InvalidJobIdError(problem);
}

/** Delay before retry number `retry` (1 = the first retry) under `policy`. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  return policy.backoff.type === 'fixed' ? policy.backoff.delay : policy.backoff.delay * 2 ** (retry - 1);
}

const ACTION_NEEDS: Partial<Record<JobAction, JobState>> = { retry: 'failed', promote: 'delayed' };
/** What each action did, for messages. */
export const JOB_ACTION_DONE: Record<JobAction, string> = { retry: 'retried', promote: 'promoted', remove: 'removed' };

const describeJob = (queue: string, id: string) => `job ${JSON.stringify(id)} of queue "${queue}"`;

/** The error for job `id` that `queue` does not hold. */
export function missingJob(queue: string, id: string): BrokerError {
  return new BrokerError(`${describeJob(queue, id)} does not exist (never added, removed, or past keep_completed / keep_failed)`, { queue });
}

/** Throws the `BrokerError` for `action` on a job that is missing or in a state it does not apply to. */
export function checkJobAction(queue: string, id: string, action: JobAction, state: JobState | undefined): void {
  if (state === undefined) throw missingJob(queue, id);
  const needs = ACTION_NEEDS[action];
  if (needs && state !== needs) throw new BrokerError(`${describeJob(queue, id)} is ${state}; only a ${needs} job can be ${JOB_ACTION_DONE[action]}`, { queue });
  if (action === 'remove' && state === 'active') throw new BrokerError(`${describeJob(queue, id)} is running; it can be removed once it ends`, { queue });
}
