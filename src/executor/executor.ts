/**
 * The executor: loads every component of an app once (`load/`), admits events under each
 * component's `max_concurrency` (`admission.ts`), and runs them on worker threads (`pool/`,
 * `worker/`), each within its component's deadline. It knows Wasm and nothing of transports;
 * it answers every event with an `Outcome` and never rejects.
 */
import { join } from 'node:path';
import type { HostServices, ServicesConnector } from '../capabilities/contract.js';
import type { Dispatch, DispatchOptions, Failure, Outcome, SpindleEvent } from '../event.js';
import { ComponentLoadError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Manifest } from '../manifest/schema.js';
import { Admission } from './admission.js';
import { misboundTriggers } from './load/component-world.js';
import { loadComponent, newCompileCache, type LoadedComponent } from './load/component.js';
import { WorkerPool } from './pool/worker-pool.js';
import { workerCount } from './pool/worker-threads.js';

export interface ExecutorOptions {
  /** Where transpiled components are cached; default `<manifest dir>/.spindle/cache`. */
  cacheDir: string;
  logger: Logger;
  /** Worker threads running guests; default `os.availableParallelism()`, at least 1. */
  workers?: number;
  /** The app's resolved variables, rendered into each component's own. */
  variables?: Map<string, string>;
  /** The main thread's half of the capabilities; without it every host call fails. */
  hostServices?: HostServices;
  /** Answers the calls it serves (key-value) without the main thread. */
  servicesThread?: ServicesConnector;
  /** Called as each component finishes loading, for progress output. */
  onLoaded?: (component: LoadedComponent, ms: number, index: number, total: number) => void;
}

interface Running {
  component: LoadedComponent;
  admission: Admission;
  /** Gives the event's place back and passes its outcome on; one function for every event. */
  leave(outcome: Outcome): Outcome;
}

export function defaultCacheDir(manifestDir: string): string {
  return process.env.SPINDLE_CACHE_DIR || join(manifestDir, '.spindle', 'cache');
}

/**
 * The components no trigger runs but another component names as a dependency: libraries, which
 * need not be handlers, loaded only as dependencies.
 */
function librariesOf(manifest: Manifest): Set<string> {
  const triggered = new Set(Object.values(manifest.trigger).flatMap((entries) => entries.map((t) => t.component)));
  const named = Object.values(manifest.component).flatMap((c) => Object.values(c.dependencies).flatMap((d) => (d.component ? [d.component] : [])));
  return new Set(named.filter((id) => !triggered.has(id)));
}

/**
 * The glue modules loading finds, as it finds them, for the workers to import while the core
 * modules still compile; a late listener hears those found already. Once loading is over
 * (`finished`) listeners are no longer kept: a replacement worker only hears what was found.
 */
function glueFinds(): { found(gluePath: string): void; listen(listener: (gluePath: string) => void): void; finished(): void } {
  const found = new Set<string>();
  let listeners: Array<(gluePath: string) => void> | undefined = [];
  return {
    found(gluePath) {
      if (found.has(gluePath)) return;
      found.add(gluePath);
      for (const listener of listeners ?? []) listener(gluePath);
    },
    listen(listener) {
      listeners?.push(listener);
      for (const gluePath of found) listener(gluePath);
    },
    finished() {
      listeners = undefined;
    },
  };
}

/** Loads every component of `manifest` a trigger may run; fails with every component that could not load. */
async function loadComponents(manifest: Manifest, options: ExecutorOptions, onGlue: (gluePath: string) => void): Promise<LoadedComponent[]> {
  const libraries = librariesOf(manifest);
  const entries = Object.entries(manifest.component).filter(([id]) => !libraries.has(id));
  let done = 0;
  const shared = newCompileCache(onGlue);
  const componentSources = new Map(Object.entries(manifest.component).map(([id, config]) => [id, config.source]));
  const results = await Promise.allSettled(
    entries.map(async ([id, config]) => {
      const started = performance.now();
      const component = await loadComponent(id, config, { ...options, componentSources }, shared);
      options.onLoaded?.(component, performance.now() - started, ++done, entries.length);
      return component;
    }),
  );
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    const first = failed[0];
    throw failed.length === 1 && first instanceof ComponentLoadError
      ? first
      : new ComponentLoadError(failed.map(errorMessage).join('\n'), {}, { cause: first });
  }
  const loaded = results.map((r) => (r as PromiseFulfilledResult<LoadedComponent>).value);
  const misbound = misboundTriggers(manifest, new Map(loaded.map((component) => [component.id, component.world])));
  if (misbound.length > 0) throw new ComponentLoadError(misbound.join('\n'));
  return loaded;
}

function failure(id: string, event: SpindleEvent, kind: Failure['kind'], message: string): Outcome {
  return { ok: false, failure: { kind, message, component: id, eventId: event.id } };
}

export class Executor {
  readonly #components: Map<string, Running>;
  readonly #workers: WorkerPool;
  readonly #logger: Logger;
  #closed = false;
  /** Events the executor cancelled by closing, waiting or running, by component. */
  readonly #cancelled = new Map<string, number>();
  /** Events dispatched and not yet answered, and who waits for there to be none. */
  #inFlight = 0;
  #onIdle: Array<() => void> = [];

  private constructor(components: Map<string, Running>, workers: WorkerPool, logger: Logger) {
    this.#components = components;
    this.#workers = workers;
    this.#logger = logger;
  }

  /**
   * Loads every component of `manifest` and starts the worker threads with them. Fails with
   * every component that could not load.
   */
  static async load(manifest: Manifest, options: ExecutorOptions): Promise<Executor> {
    const glue = glueFinds();
    const loading = loadComponents(manifest, options, glue.found);
    loading.then(glue.finished, glue.finished);
    const starting = WorkerPool.start({
      size: workerCount(options.workers),
      guests: loading.then((loaded) => loaded.map((component) => component.guest)),
      glue: glue.listen,
      logger: options.logger,
      ...(options.hostServices ? { hostServices: options.hostServices } : {}),
      ...(options.servicesThread ? { servicesThread: options.servicesThread } : {}),
    });
    const [loaded, started] = await Promise.allSettled([loading, starting]);
    if (loaded.status === 'rejected') {
      if (started.status === 'fulfilled') await started.value.close();
      throw loaded.reason;
    }
    if (started.status === 'rejected') throw started.reason;
    const components = new Map<string, Running>();
    for (const component of loaded.value) {
      const admission = new Admission(component.config.max_concurrency);
      const leave = (outcome: Outcome) => {
        admission.leave();
        return outcome;
      };
      components.set(component.id, { component, admission, leave });
    }
    return new Executor(components, started.value, options.logger);
  }

  /** The components loaded, by id. */
  get components(): ReadonlyMap<string, LoadedComponent> {
    return new Map([...this.#components].map(([id, r]) => [id, r.component]));
  }

  /** Events each component is running and events waiting for its room, by component id. */
  admissions(): Map<string, { inFlight: number; waiting: number }> {
    return new Map([...this.#components].map(([id, r]) => [id, { inFlight: r.admission.inFlight, waiting: r.admission.waiting }]));
  }

  /** Instances made, and put back to their state, for events so far, by component. */
  instanceCounts(): Map<string, { created: number; restored: number }> {
    return new Map([...this.#workers.instances].map(([id, counts]) => [id, { ...counts }]));
  }

  /** Worker threads replaced so far, by why. */
  workerRestarts(): { deadline: number; crash: number } {
    return { ...this.#workers.restarts };
  }

  /**
   * Runs `event` through component `id`. Bound to the instance, so it can be passed around.
   * Neither this nor what it calls is an async function on the way of an event that finds room:
   * each would keep a suspended frame per event, and a flood keeps a hundred thousand waiting.
   */
  readonly dispatch: Dispatch = (id: string, event: SpindleEvent, options: DispatchOptions = {}): Promise<Outcome> => {
    this.#inFlight++;
    return this.#run(id, event, options).then(this.#answered, this.#broke);
  };

  readonly #answered = (outcome: Outcome): Outcome => {
    if (!outcome.ok && outcome.failure.kind === 'cancelled') {
      const id = outcome.failure.component;
      this.#cancelled.set(id, (this.#cancelled.get(id) ?? 0) + 1);
    }
    this.#left();
    return outcome;
  };

  readonly #broke = (err: unknown): never => {
    this.#left();
    throw err;
  };

  #left(): void {
    if (--this.#inFlight === 0) for (const wake of this.#onIdle.splice(0)) wake();
  }

  /** Events dispatched here and not yet answered, waiting for room or running. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once no event dispatched here is waiting or running: an executor being replaced finishes its own. */
  idle(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#onIdle.push(resolve));
  }

  #run(id: string, event: SpindleEvent, options: DispatchOptions): Promise<Outcome> {
    const running = this.#components.get(id);
    if (!running) return Promise.resolve(failure(id, event, 'internal', `no component "${id}"`));
    if (this.#closed) return Promise.resolve(failure(id, event, 'cancelled', 'the app is stopping'));
    // Room at once is answered synchronously: the event reaches the pool in this same turn.
    const entered = running.admission.enter(options.waitForRoomMs ?? running.component.config.overload_wait ?? 0);
    if (entered === true) return this.#admitted(running, event);
    if (entered === false) return Promise.resolve(this.#refused(running, event));
    return entered.then((admitted) => (admitted ? this.#admitted(running, event) : this.#refused(running, event)));
  }

  #admitted(running: Running, event: SpindleEvent): Promise<Outcome> {
    const { id, config } = running.component;
    return this.#workers.run({ component: id, event, timeoutMs: config.timeout }).then(running.leave);
  }

  #refused(running: Running, event: SpindleEvent): Outcome {
    const { id } = running.component;
    return this.#closed
      ? failure(id, event, 'cancelled', 'the app stopped before the component had room')
      : failure(id, event, 'overloaded', `component "${id}" has ${running.admission.inFlight} events in flight, its max_concurrency`);
  }

  /**
   * Terminates the worker threads. Events waiting or running, and any dispatched later, fail
   * as `cancelled`; one line counts them. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return this.#workers.close();
    this.#closed = true;
    for (const running of this.#components.values()) running.admission.close();
    await this.#workers.close();
    // Settled outcomes reach their dispatchers a turn later; count once they have.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.#cancelled.size > 0) {
      this.#logger.warn({ cancelled: Object.fromEntries(this.#cancelled) }, 'stopped: events cancelled while waiting, or still running at drain_timeout');
    }
  }
}
