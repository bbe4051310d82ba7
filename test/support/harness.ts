/**
 * Starts real Spindle apps for tests: a manifest and its WAT-built components written to a
 * fresh temporary directory, the app started on a free port, its log collected in memory.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startApp, type App } from '../../src/app.js';
import type { Outcome, SpindleEvent } from '../../src/event.js';
import { createLogger } from '../../src/log.js';
import { loadManifest, parseManifest } from '../../src/app-manifest.js';
import { buildComponents } from '../../src/build/build.js';
import type { HttpTrigger } from '../../src/triggers/http.js';
import { writeWatComponent, type WatComponentName } from './wat-components.js';

export interface TestApp {
  app: App;
  dir: string;
  /** Base URL of the HTTP trigger, when the manifest has HTTP routes. */
  url: string;
  /** Every log record so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Every event dispatched so far, with its outcome, as the app's `onEvent` saw it. */
  events: ObservedEvent[];
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** The manifest; component sources may refer to `<name>.wasm` for each of `wat`. */
  manifest: string;
  wat?: WatComponentName[];
  /** Extra files to create, path relative to the app directory → content (text, or bytes such as a component). */
  files?: Record<string, string | Uint8Array>;
  /** Run in redis mode on this Redis. */
  redis?: string;
  /** Worker threads; the executor's default when absent. */
  workers?: number;
  /** Serve the admin listener on this host:port. */
  admin?: string;
}

export interface ObservedEvent {
  component: string;
  event: SpindleEvent;
  outcome: Outcome;
}

/** The failure kind of an observed event, or 'ok'. */
export function result(observed: ObservedEvent): string {
  return observed.outcome.ok ? 'ok' : observed.outcome.failure.kind;
}

export async function makeAppDir(options: Omit<TestAppOptions, 'manifest'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spindle-test-'));
  await Promise.all((options.wat ?? []).map((name) => writeWatComponent(dir, name)));
  for (const [path, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export function collectingLogger(logs: Array<Record<string, unknown>>) {
  return createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
}

/** The base URL of `app`'s HTTP trigger; '' when it has none. */
export function httpUrl(app: App): string {
  return (app.triggers.find((t) => t.kind === 'http') as HttpTrigger | undefined)?.url ?? '';
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const dir = await makeAppDir(options);
  const file = join(dir, 'spindle.toml');
  await writeFile(file, options.manifest);
  const logs: Array<Record<string, unknown>> = [];
  const events: ObservedEvent[] = [];
  let app: App;
  try {
    const loaded = await parseManifest(options.manifest, file);
    app = await startApp(loaded, {
      listen: '127.0.0.1:0',
      workers: options.workers,
      logger: collectingLogger(logs),
      onEvent: (component, event, outcome) => events.push({ component, event, outcome }),
      ...(options.redis ? { redis: options.redis } : {}),
      ...(options.admin ? { admin: options.admin } : {}),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    app,
    dir,
    url: httpUrl(app),
    logs,
    events,
    async stop() {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An app of the repository built with `spindle build` (cached while unchanged) and started. */
export interface BuiltApp {
  app: App;
  url: string;
  logs: Array<Record<string, unknown>>;
  /** The failure kind of the event that answered `res`, or 'ok'. */
  failureOf(res: Response): string | undefined;
}

export async function startBuiltApp(manifest: string): Promise<BuiltApp> {
  await buildComponents(await loadManifest(manifest, { checkSources: false }));
  const logs: Array<Record<string, unknown>> = [];
  const outcomes = new Map<string, string>();
  const app = await startApp(await loadManifest(manifest), {
    listen: '127.0.0.1:0',
    logger: collectingLogger(logs),
    onEvent: (_, event, outcome) => outcomes.set(event.id, outcome.ok ? 'ok' : outcome.failure.kind),
  });
  return { app, url: httpUrl(app), logs, failureOf: (res) => outcomes.get(res.headers.get('x-spindle-event-id') ?? '') };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
