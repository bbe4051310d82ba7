/**
 * `spindle up --watch`: builds the app and runs it, then watches the source files each
 * component's bundle was made from and the manifest. A changed source rebuilds only the
 * components made from it, and the app swaps them in between events (`App.reloadComponents`):
 * the process, its triggers and its embedded queues and stores stay. A changed manifest stops
 * the app gracefully and starts it again from the new one. A failed build or an invalid
 * manifest is logged and the running app keeps serving. Build outputs are never watched, only
 * what esbuild read, so a build cannot wake the watcher.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadManifest, type LoadedManifest } from './app-manifest.js';
import { startApp, untilSignal, type App, type AppOptions } from './app.js';
import { buildComponents } from './build/build.js';
import { errorMessage } from './errors.js';
import { createLogger, type LogFormat, type Logger } from './log.js';

/** Changes arriving this close together are handled as one (an editor writes a file in steps). */
const SETTLE_MS = 150;

export interface WatchOptions {
  listen?: string;
  admin?: string;
  redis?: string;
  workers?: number;
  logLevel?: string;
  logFormat?: LogFormat;
}

/** Watches folders, reporting changed files by absolute path; the folder set can change. */
class FolderWatch {
  readonly #watchers = new Map<string, FSWatcher>();
  constructor(private readonly onChange: (path: string) => void) {}

  set(folders: Iterable<string>): void {
    const wanted = new Set(folders);
    for (const [folder, watcher] of this.#watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.#watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (this.#watchers.has(folder)) continue;
      this.#watchers.set(
        folder,
        watch(folder, (_, name) => name && this.onChange(join(folder, name.toString()))),
      );
    }
  }

  close(): void {
    this.set([]);
  }
}

/** Builds every component of the manifest in `file`; returns the manifest and each component's inputs. */
async function buildAll(file: string, logger: Logger, only?: string[]): Promise<{ loaded: LoadedManifest; inputs: Map<string, string[]> }> {
  const unchecked = await loadManifest(file, { checkSources: false });
  const results = await buildComponents(unchecked, { ...(only ? { only } : {}), progress: (line) => logger.info(line) });
  return { loaded: unchecked, inputs: new Map(results.map((r) => [r.component, r.inputs])) };
}

export async function runWatched(file: string, options: WatchOptions): Promise<number> {
  const logger = createLogger({ ...(options.logLevel ? { level: options.logLevel as 'info' } : {}), ...(options.logFormat ? { format: options.logFormat } : {}) });
  const manifestPath = resolve(file);
  const appOptions: AppOptions = { listen: options.listen, admin: options.admin, redis: options.redis, workers: options.workers, logger };
  let { inputs } = await buildAll(manifestPath, logger);
  let app: App = await startApp(await loadManifest(manifestPath), appOptions);
  logger.info({ app: app.manifest.application.name, watching: [...inputs.values()].flat().length + 1 }, 'ready; watching the sources and the manifest');

  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let handling: Promise<void> = Promise.resolve();
  /** The app was stopped for a manifest change and could not start again. */
  let stopped = false;

  const folders = () => new Set([dirname(manifestPath), ...[...inputs.values()].flat().map((path) => dirname(path))]);
  const watcher = new FolderWatch((path) => {
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => (handling = handling.then(handle)), SETTLE_MS);
  });
  watcher.set(folders());

  async function reloadManifest(): Promise<void> {
    logger.info({ manifest: manifestPath }, 'manifest changed: reloading the app');
    const built = await buildAll(manifestPath, logger);
    const loaded = await loadManifest(manifestPath);
    await app.stop();
    inputs = built.inputs;
    stopped = true;
    try {
      app = await startApp(loaded, appOptions);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, `the app did not start again; the next change starts it: ${errorMessage(err)}`);
      return;
    }
    stopped = false;
    logger.info({ app: app.manifest.application.name }, 'ready');
  }

  async function rebuild(components: string[]): Promise<void> {
    logger.info({ components }, `sources changed: rebuilding ${components.join(', ')}`);
    const built = await buildComponents(await loadManifest(manifestPath, { checkSources: false }), { only: components, progress: (line) => logger.info(line) });
    for (const result of built) inputs.set(result.component, result.inputs);
    if (!built.some((r) => r.built)) return;
    await app.reloadComponents();
    logger.info({ components }, `swapped in ${components.join(', ')}`);
  }

  async function handle(): Promise<void> {
    const paths = [...changed];
    changed.clear();
    const components = [...inputs].filter(([, files]) => files.some((f) => paths.includes(f))).map(([id]) => id);
    try {
      if (paths.includes(manifestPath) || stopped) await reloadManifest();
      else if (components.length > 0) await rebuild(components);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, `not reloaded, the app serves on as before: ${errorMessage(err)}`);
    }
    watcher.set(folders());
  }

  return untilSignal(logger, () => app.manifest.runtime.drain_timeout, async () => {
    clearTimeout(timer);
    watcher.close();
    await handling;
    return app.stop();
  });
}
