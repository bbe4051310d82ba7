/**
 * The main thread's side of guest execution: worker threads that each hold every component,
 * and one queue of events waiting for a worker. A worker runs one event at a time, in the order
 * it was handed them, and holds up to `PIPELINE_DEPTH` events (more under a backlog) so it
 * can start the next one without waiting for a round trip through the main thread: one event at
 * a time per round trip left both threads idle most of the time. Events go to the worker
 * holding the fewest.
 *
 * Events handed to a worker at once travel in one message, packed (`event-batch.ts`): a
 * structured clone and a wake-up per event were most of the main thread's cost under a flood.
 * A worker with nothing to do is handed an event at once; one that is still busy gets its next
 * events at the end of the main thread's turn, with every event that arrived or found room in
 * that turn.
 *
 * The main thread keeps each event's deadline, started when the event reaches the head of its
 * worker's line (the worker starts it as soon as the one before is answered). An event past it
 * costs its worker, which is terminated and replaced from the already compiled modules; the
 * events queued behind it had not started and go back to the front of the queue.
 *
 * A worker keeps the process alive only while it loads or runs an event, so an idle pool that
 * nobody closed does not hold the process open.
 */
import type { Worker, MessagePort } from 'node:worker_threads';
import type { HostServices, ServicesConnector } from '../../capabilities/contract.js';
import type { Failure, Outcome, SpindleEvent } from '../../event.js';
import { ComponentLoadError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { formatDuration } from '../../manifest/units.js';
import { Fifo } from '../../util/fifo.js';
import type { GuestSpec } from '../guest-spec.js';
import { serveHostCalls } from './host-call-bridge.js';
import { packEvents } from './event-batch.js';
import { workerThread } from './worker-threads.js';
import { deserializeError, fromWireOutcome, type FromWorker, type ToWorker, type WorkerLog } from './protocol.js';

export interface WorkerPoolOptions {
  /** Number of worker threads; at least 1. */
  size: number;
  /**
   * The components every worker loads. A promise lets the threads start while the components
   * are still being compiled: a worker's own start-up then overlaps the main thread's work.
   */
  guests: GuestSpec[] | Promise<GuestSpec[]>;
  /**
   * Tells its listener each glue module the guests will import, as soon as it is known: a
   * worker compiles it (about 40 ms for componentize-js glue) while the core modules compile.
   */
  glue?: (listener: (gluePath: string) => void) => void;
  logger: Logger;
  /** Answers guests' synchronous host calls; without it every host call fails. */
  hostServices?: HostServices;
  /** Gives each worker its lane to the services thread, which answers the calls it serves. */
  servicesThread?: ServicesConnector;
}

/** One event for one component. */
export interface Job {
  component: string;
  event: SpindleEvent;
  /** How long the event may run once a worker has taken it, in milliseconds. */
  timeoutMs: number;
}

interface PendingJob extends Job {
  settle(outcome: Outcome): void;
}

/** Events a worker holds at most: the one running and those queued behind it. */
const PIPELINE_DEPTH = 4;
/**
 * Events a worker holds at most while a backlog of `BACKLOG` or more waits. Each message wakes
 * an idle worker, which costs the main thread far more than the message's contents; under a
 * flood the events wait anyway, so longer lines mean fewer wake-ups at no cost in latency.
 */
const FLOOD_PIPELINE_DEPTH = 16;
const BACKLOG = 8;

/** One worker thread at one position of the pool. A replacement gets a new slot. */
interface Slot {
  index: number;
  thread: Worker;
  /** The main thread's end of the worker's host-call channel. */
  hostCalls: MessagePort;
  state: 'loading' | 'ready' | 'failed';
  /** Handed to this worker, in order; the first is running. */
  jobs: PendingJob[];
  /** The deadline of `jobs[0]`. */
  deadline?: NodeJS.Timeout;
}

function failed(job: Job, kind: Failure['kind'], message: string, cause?: unknown): Outcome {
  return { ok: false, failure: { kind, message, component: job.component, eventId: job.event.id, ...(cause === undefined ? {} : { cause }) } };
}

export class WorkerPool {
  readonly #guests: Promise<GuestSpec[]>;
  readonly #glue: WorkerPoolOptions['glue'];
  readonly #logger: Logger;
  readonly #hostServices: HostServices | object;
  readonly #servicesThread: ServicesConnector | undefined;
  readonly #slots: Slot[] = [];
  readonly #waiting = new Fifo<PendingJob>();
  #closing: Promise<void> | undefined;
  /** A hand-out is due at the end of this turn. */
  #handOutDue = false;

  private constructor(options: WorkerPoolOptions) {
    this.#guests = Promise.resolve(options.guests);
    // A failed load is reported by `start`; the rejection must not also go unhandled here.
    this.#guests.catch(() => {});
    this.#glue = options.glue;
    this.#logger = options.logger;
    this.#hostServices = options.hostServices ?? {};
    this.#servicesThread = options.servicesThread;
  }

  /**
   * Starts `size` workers and waits until each has loaded every component. Rejects with the
   * guests' own error when they fail to load.
   */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    const loads = await Promise.allSettled(Array.from({ length: Math.max(1, options.size) }, (_, i) => pool.#spawn(i)));
    const failure = loads.find((r) => r.status === 'rejected');
    if (failure) {
      await pool.close();
      throw failure.reason;
    }
    return pool;
  }

  /** Runs `job` on the next free worker and settles with its outcome. Never rejects. */
  run(job: Job): Promise<Outcome> {
    if (this.#closing) return Promise.resolve(failed(job, 'internal', 'the executor is closed'));
    if (!this.#hasWorkers()) return Promise.resolve(failed(job, 'internal', 'no worker thread could load the components'));
    return new Promise((settle) => {
      this.#waiting.push({ component: job.component, event: job.event, timeoutMs: job.timeoutMs, settle });
      if (this.#slots.some((slot) => slot.state === 'ready' && slot.jobs.length === 0)) this.#next();
      else this.#handOutLater();
    });
  }

  /** Terminates every worker; events waiting or running settle as `cancelled`. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const job of this.#waiting.drain()) job.settle(failed(job, 'cancelled', 'the app stopped before the event ran'));
      for (const slot of this.#slots) {
        clearTimeout(slot.deadline);
        for (const job of slot.jobs.splice(0)) job.settle(failed(job, 'cancelled', 'the app stopped while the event ran'));
      }
      for (const slot of this.#slots) slot.hostCalls.close();
      await Promise.all(this.#slots.map((slot) => slot.thread.terminate()));
    })();
    return this.#closing;
  }

  #hasWorkers(): boolean {
    return this.#slots.some((slot) => slot.state !== 'failed');
  }

  /** Starts a worker at `index` (replacing whatever was there); resolves once it has loaded. */
  #spawn(index: number): Promise<void> {
    const { thread, hostCalls } = workerThread();
    const slot: Slot = { index, thread, hostCalls, state: 'loading', jobs: [] };
    // A worker runs one guest at a time: a host call comes from the event at the head of its line.
    serveHostCalls(hostCalls, this.#hostServices, () => slot.jobs[0]?.event);
    // Host calls alone must not keep the process alive; the worker's own ref does that.
    hostCalls.unref();
    this.#slots[index] = slot;
    // A replaced or closed worker's late messages and exit are no longer news.
    const current = () => this.#slots[index] === slot && !this.#closing;

    return new Promise((resolve, reject) => {
      thread.on('message', (message: FromWorker) => {
        // Logs always count: what a guest printed before its deadline explains the timeout.
        if (message.type === 'log') return this.#log(message);
        if (!current()) return;
        if (message.type === 'ready') {
          slot.state = 'ready';
          thread.unref();
          resolve();
          this.#next();
        } else if (message.type === 'load-failed') {
          slot.state = 'failed';
          const cause = deserializeError(message.error);
          reject(new ComponentLoadError(`component "${message.component}" cannot load in worker ${index}: ${cause.message}`, { component: message.component }, { cause }));
          void thread.terminate();
        } else {
          if (message.instance && message.instance !== 'reused') this.#countInstance(slot.jobs[0]?.component, message.instance);
          this.#finish(slot, fromWireOutcome(message.outcome));
        }
      });
      thread.on('error', (err) => {
        if (current()) this.#logger.error({ worker: index, err: errorMessage(err) }, 'worker thread failed');
      });
      thread.on('exit', (code) => {
        if (!current()) return;
        if (slot.state === 'loading') {
          slot.state = 'failed';
          reject(new ComponentLoadError(`worker ${index} stopped with exit code ${code} while loading the components`));
        } else if (slot.state !== 'failed') {
          this.#lose(slot, `worker ${index} stopped with exit code ${code}`);
        }
      });
      this.#glue?.((gluePath) => {
        if (current() && slot.state === 'loading') thread.postMessage({ type: 'preload', gluePath } satisfies ToWorker);
      });
      this.#guests.then(
        (guests) => {
          if (!current()) return;
          const services = this.#servicesThread?.connectWorker();
          thread.postMessage({ type: 'load', guests, ...(services ? { servicesLane: services.lane } : {}) } satisfies ToWorker, services?.transfer ?? []);
        },
        (err: unknown) => {
          void thread.terminate();
          reject(err);
        },
      );
    });
  }

  #log({ level, component, eventId, fields, msg }: WorkerLog): void {
    this.#logger[level]({ component, eventId, ...fields }, msg);
  }

  /** Hands waiting events out once the main thread's current turn is over, with whatever else arrives in it. */
  #handOutLater(): void {
    if (this.#handOutDue) return;
    this.#handOutDue = true;
    setImmediate(() => {
      this.#handOutDue = false;
      this.#next();
    });
  }

  /** Hands waiting events to the workers holding the fewest, oldest event first, one message per worker. */
  #next(): void {
    /** How many events each worker held before this hand-out. */
    const held = new Map<Slot, number>();
    const depth = this.#waiting.length >= BACKLOG ? FLOOD_PIPELINE_DEPTH : PIPELINE_DEPTH;
    while (this.#waiting.length > 0) {
      let slot: Slot | undefined;
      for (const s of this.#slots) {
        if (s.state === 'ready' && s.jobs.length < depth && (!slot || s.jobs.length < slot.jobs.length)) slot = s;
      }
      if (!slot) break;
      if (!held.has(slot)) held.set(slot, slot.jobs.length);
      slot.jobs.push(this.#waiting.shift()!);
    }
    for (const [slot, before] of held) this.#post(slot, before);
  }

  /** Posts `slot`'s events from position `from` on to its worker in one message. */
  #post(slot: Slot, from: number): void {
    const jobs = slot.jobs.slice(from);
    try {
      this.#postRun(slot, jobs);
    } catch {
      // An event that cannot cross fails alone: the others are posted one by one.
      slot.jobs.length = from;
      for (const job of jobs) {
        try {
          this.#postRun(slot, [job]);
          slot.jobs.push(job);
        } catch (err) {
          job.settle(failed(job, 'internal', `cannot hand the event to a worker: ${errorMessage(err)}`, err));
        }
      }
    }
    if (from === 0 && slot.jobs.length > 0) {
      slot.thread.ref();
      this.#startDeadline(slot);
    }
  }

  #postRun(slot: Slot, jobs: readonly Job[]): void {
    const batch = packEvents(jobs);
    slot.thread.postMessage({ type: 'run', batch } satisfies ToWorker, [batch.bodies]);
  }

  #startDeadline(slot: Slot): void {
    const head = slot.jobs[0]!;
    slot.deadline = setTimeout(() => this.#expire(slot), head.timeoutMs);
  }

  #finish(slot: Slot, outcome: Outcome): void {
    clearTimeout(slot.deadline);
    const job = slot.jobs.shift();
    if (slot.jobs.length > 0) this.#startDeadline(slot);
    else slot.thread.unref();
    job?.settle(outcome);
    if (slot.jobs.length === 0) this.#next();
    else this.#handOutLater();
  }

  /** Instances made, and put back to their state, for events so far, by component. */
  readonly instances = new Map<string, { created: number; restored: number }>();

  #countInstance(component: string | undefined, source: 'created' | 'restored'): void {
    if (component === undefined) return;
    let counts = this.instances.get(component);
    if (!counts) this.instances.set(component, (counts = { created: 0, restored: 0 }));
    counts[source]++;
  }

  /** Workers replaced so far: after an event ran past its deadline, or after the worker died. */
  readonly restarts = { deadline: 0, crash: 0 };

  #expire(slot: Slot): void {
    this.restarts.deadline++;
    const job = slot.jobs.shift()!;
    this.#logger.warn(
      { component: job.component, eventId: job.event.id, worker: slot.index, timeoutMs: job.timeoutMs },
      'event ran past its deadline: replacing its worker',
    );
    job.settle(failed(job, 'timeout', `component "${job.component}" ran past its ${formatDuration(job.timeoutMs)} timeout`));
    this.#replace(slot);
  }

  /** A worker died on its own (a crash in host code); what it ran fails, and it is replaced. */
  #lose(slot: Slot, reason: string): void {
    this.restarts.crash++;
    clearTimeout(slot.deadline);
    const job = slot.jobs.shift();
    this.#logger.error({ worker: slot.index, component: job?.component, eventId: job?.event.id }, `${reason}; replacing it`);
    job?.settle(failed(job, 'internal', `${reason} while running the event`));
    this.#replace(slot);
  }

  #replace(slot: Slot): void {
    // Events queued behind the one that failed had not started; they run elsewhere first.
    this.#waiting.unshiftAll(slot.jobs.splice(0));
    slot.state = 'failed';
    slot.hostCalls.close();
    void slot.thread.terminate();
    this.#next();
    this.#spawn(slot.index).catch((err: unknown) => {
      this.#logger.error({ worker: slot.index, err: errorMessage(err) }, 'a replacement worker cannot load the components');
      if (!this.#hasWorkers()) {
        for (const job of this.#waiting.drain()) job.settle(failed(job, 'internal', 'no worker thread could load the components', err));
      }
    });
  }
}
