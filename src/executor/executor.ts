/**
 * The executor: loads every component of an app once, then runs events through them on worker
 * threads (`worker-pool.ts`), each event within its component's deadline. It knows Wasm and
 * nothing of transports; it answers every event with an `Outcome` and never rejects.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Dispatch, Failure, Outcome, SpindleEvent } from '../event.js';
import { ComponentLoadError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Manifest } from '../manifest/schema.js';
import { loadComponent, type CompileCache, type LoadedComponent } from './component.js';
import type { HostCallHandler } from './host-calls.js';
import { WorkerPool } from './worker-pool.js';

export interface ExecutorOptions {
  /** Where transpiled components are cached; default `<manifest dir>/.spindle/cache`. */
  cacheDir: string;
  logger: Logger;
  /** Worker threads running guests; default `os.availableParallelism()`, at least 1. */
  workers?: number;
  /** The app's resolved variables, rendered into each component's own. */
  variables?: Map<string, string>;
  /** Answers guests' synchronous host calls (capabilities); see `host-services.ts`. */
  hostCalls?: HostCallHandler;
  /** Called as each component finishes loading, for progress output. */
  onLoaded?: (component: LoadedComponent, ms: number, index: number, total: number) => void;
}

interface Running {
  component: LoadedComponent;
  /** Events queued or running, held under `max_concurrency`. */
  inFlight: number;
  /** Events waiting for a place, under `overload_wait`; called to hand one over. */
  waiters: Array<() => void>;
}

export function defaultCacheDir(manifestDir: string): string {
  return process.env.SPINDLE_CACHE_DIR || join(manifestDir, '.spindle', 'cache');
}

export class Executor {
  readonly #components: Map<string, Running>;
  readonly #workers: WorkerPool;

  private constructor(components: Map<string, Running>, workers: WorkerPool) {
    this.#components = components;
    this.#workers = workers;
  }

  /**
   * Loads every component of `manifest` and starts the worker threads with them. Fails with
   * every component that could not load.
   */
  static async load(manifest: Manifest, options: ExecutorOptions): Promise<Executor> {
    const entries = Object.entries(manifest.component);
    let done = 0;
    const shared: CompileCache = new Map();
    const results = await Promise.allSettled(
      entries.map(async ([id, config]) => {
        const started = performance.now();
        const component = await loadComponent(id, config, options, shared);
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
    const components = new Map<string, Running>();
    for (const r of results) {
      const component = (r as PromiseFulfilledResult<LoadedComponent>).value;
      components.set(component.id, { component, inFlight: 0, waiters: [] });
    }
    const workers = await WorkerPool.start({
      size: Math.max(1, Math.floor(options.workers ?? availableParallelism())),
      guests: [...components.values()].map((r) => r.component.guest),
      logger: options.logger,
      ...(options.hostCalls ? { hostCalls: options.hostCalls } : {}),
    });
    return new Executor(components, workers);
  }

  /** The components loaded, by id. */
  get components(): ReadonlyMap<string, LoadedComponent> {
    return new Map([...this.#components].map(([id, r]) => [id, r.component]));
  }

  /** Runs `event` through component `id`. Bound to the instance, so it can be passed around. */
  readonly dispatch: Dispatch = async (id: string, event: SpindleEvent): Promise<Outcome> => {
    const fail = (kind: Failure['kind'], message: string): Outcome => ({
      ok: false,
      failure: { kind, message, component: id, eventId: event.id },
    });
    const running = this.#components.get(id);
    if (!running) return fail('internal', `no component "${id}"`);
    const { config } = running.component;
    if (running.inFlight < config.max_concurrency) running.inFlight++;
    else if (!(await this.#waitForRoom(running))) {
      return fail('overloaded', `component "${id}" has ${running.inFlight} events in flight, its max_concurrency`);
    }
    try {
      return await this.#workers.run({ component: id, event, timeoutMs: config.timeout });
    } finally {
      // A finished event hands its place straight to the first waiter, so none is overtaken.
      const next = running.waiters.shift();
      if (next) next();
      else running.inFlight--;
    }
  };

  /**
   * Waits up to the component's `overload_wait` for an event in flight to hand over its place.
   * Waiters are served in order; one whose wait ran out leaves the line.
   */
  #waitForRoom(running: Running): Promise<boolean> {
    const waitMs = running.component.config.overload_wait;
    if (waitMs === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        running.waiters.splice(running.waiters.indexOf(wake), 1);
        resolve(false);
      }, waitMs);
      running.waiters.push(wake);
    });
  }

  /** Terminates the worker threads; later events fail as `internal`. Idempotent. */
  close(): Promise<void> {
    return this.#workers.close();
  }
}
