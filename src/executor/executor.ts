/**
 * The executor: loads every component of an app once, then runs events through them. It knows
 * Wasm and nothing of transports; it answers every event with an `Outcome` and never rejects.
 */
import { join } from 'node:path';
import type { Dispatch, Failure, Outcome, SpindleEvent } from '../event.js';
import { ComponentLoadError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Manifest } from '../manifest/schema.js';
import { loadComponent, type LoadedComponent } from './component.js';
import { callHandler, callHttpHandler, classifyGuestError } from './guest-calls.js';
import { createInstancePool, type InstancePool } from './instance-pool.js';

export interface ExecutorOptions {
  /** Where transpiled components are cached; default `<manifest dir>/.spindle/cache`. */
  cacheDir: string;
  logger: Logger;
  /** Called as each component finishes loading, for progress output. */
  onLoaded?: (component: LoadedComponent, ms: number, index: number, total: number) => void;
}

interface Running {
  component: LoadedComponent;
  pool: InstancePool;
  inFlight: number;
}

export function defaultCacheDir(manifestDir: string): string {
  return process.env.SPINDLE_CACHE_DIR || join(manifestDir, '.spindle', 'cache');
}

export class Executor {
  readonly #components: Map<string, Running>;
  readonly #logger: Logger;

  private constructor(components: Map<string, Running>, logger: Logger) {
    this.#components = components;
    this.#logger = logger;
  }

  /** Loads every component of `manifest`. Fails with every component that could not load. */
  static async load(manifest: Manifest, options: ExecutorOptions): Promise<Executor> {
    const entries = Object.entries(manifest.component);
    let done = 0;
    const results = await Promise.allSettled(
      entries.map(async ([id, config]) => {
        const started = performance.now();
        const component = await loadComponent(id, config, options);
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
      components.set(component.id, { component, pool: createInstancePool(component), inFlight: 0 });
    }
    return new Executor(components, options.logger);
  }

  /** The components loaded, by id. */
  get components(): ReadonlyMap<string, LoadedComponent> {
    return new Map([...this.#components].map(([id, r]) => [id, r.component]));
  }

  /** Runs `event` through component `id`. Bound to the instance, so it can be passed around. */
  readonly dispatch: Dispatch = async (id: string, event: SpindleEvent): Promise<Outcome> => {
    const fail = (kind: Failure['kind'], message: string, cause?: unknown): Outcome => ({
      ok: false,
      failure: { kind, message, component: id, eventId: event.id, cause },
    });
    const running = this.#components.get(id);
    if (!running) return fail('internal', `no component "${id}"`);
    if (running.inFlight >= running.component.config.max_concurrency) {
      return fail('overloaded', `component "${id}" has ${running.inFlight} events in flight, its max_concurrency`);
    }
    running.inFlight++;
    let instance;
    try {
      instance = await running.pool.acquire();
    } catch (err) {
      running.inFlight--;
      this.#logger.error({ component: id, eventId: event.id, err: errorMessage(err) }, 'cannot instantiate component');
      return fail('internal', `cannot instantiate "${id}": ${errorMessage(err)}`, err);
    }
    try {
      const reply = running.component.world === 'http' ? await callHttpHandler(instance, event) : callHandler(instance, event);
      running.pool.release(instance, false);
      return { ok: true, reply };
    } catch (err) {
      const failure = classifyGuestError(err);
      running.pool.release(instance, failure.poisoned);
      return fail(failure.kind, failure.message, err);
    } finally {
      running.inFlight--;
    }
  };

  /** Releases every instance. Events dispatched afterwards still run, on fresh instances. */
  async close(): Promise<void> {
    for (const running of this.#components.values()) running.pool.clear();
  }
}
