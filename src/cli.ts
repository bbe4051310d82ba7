/**
 * The `spindle` command line. Each command returns an exit code instead of exiting, so the
 * process ends only once everything it opened has closed.
 */
import { parseArgs } from 'node:util';
import { JOB_ACTION_DONE, jobIdProblem, missingJob, type Broker, type JobAction } from './brokers/broker.js';
import { DEFAULT_REDIS_URL, redactUrl } from './redis/url.js';
import { BrokerError, ManifestError, SpindleError, errorMessage } from './errors.js';
import { createLogger } from './log.js';
import { loadManifest } from './app-manifest.js';
import { DEFAULT_QUEUE_PREFIX } from './manifest/schema.js';
import { parseDuration } from './manifest/units.js';

const USAGE = `spindle — run WebAssembly components on events

Usage:
  spindle up [manifest] [--listen host:port] [--admin host:port] [--redis URL] [--workers n]
            [--log-level level] [--log-format pretty|json] [--watch]
                            run the app until SIGINT/SIGTERM; --redis (or REDIS_URL)
                            selects redis mode; --admin serves /metrics, /healthz, /readyz;
                            logs are readable lines on a terminal, JSON lines otherwise;
                            --watch rebuilds and swaps in components whose sources change,
                            and reloads on a manifest change
  spindle validate [manifest]
                            check a manifest and print every problem
  spindle build [manifest] [--force] [--allow-outside]
                            componentize the JS/TS sources the manifest declares; outputs
                            outside the manifest's folder need --allow-outside
  spindle schema            print the manifest's JSON Schema (also in this package as
                            schema/spindle.schema.json)
  spindle new <template> [dir]
                            start a TypeScript project from a template (dir defaults to
                            the template's name); --list names the templates
  spindle publish <channel> <message> [--redis URL]
                            publish a message on a running app's Redis
  spindle enqueue <queue> <json> [--delay 5s] [--job-id id] [--strict] [--redis URL]
                            add a job, with the retry policy its queue trigger declared
                            (--strict: refuse a queue no app has declared);
                            a job id has 1 to 256 characters, is not a number, and has
                            no ':' and no control characters
  spindle jobs <queue> [--redis URL]
                            job counts by state, and failed jobs with their reasons
  spindle jobs <queue> retry <id>|--all-failed
                            put a failed job (or every one) back to waiting, attempts renewed
  spindle jobs <queue> promote <id>
                            run a delayed job (one waiting out its backoff, say) now
  spindle jobs <queue> remove <id>
                            delete a job that is not running
  spindle jobs <queue> replay <id> [--data json]
                            enqueue a new job with that job's data, or with --data instead

The manifest defaults to ./spindle.toml. publish, enqueue and jobs speak to an app in redis
mode through Redis itself: --redis, else REDIS_URL, else ${DEFAULT_REDIS_URL}. enqueue and
jobs take --queue-prefix when the app sets runtime.queue_prefix (default ${DEFAULT_QUEUE_PREFIX}).`;

type Flags = Record<string, string | boolean | undefined>;

/** How long publish, enqueue and jobs wait for Redis to answer before giving up. */
const REDIS_READY_TIMEOUT_MS = 3_000;

/** Each worker holds every component (a JavaScript one is ~10 MiB): more than this is a typo. */
const MAX_WORKERS = 64;
type Command = (positionals: string[], flags: Flags) => Promise<number>;

class UsageError extends SpindleError {
  override name = 'UsageError';
}

/**
 * Runs `use` with a Redis broker for the CLI's one-off commands, and closes it after. Redis must
 * answer within `REDIS_READY_TIMEOUT_MS`: a command must not sit through the client's retries
 * against an address where nothing listens.
 */
async function withRedis<T>(flags: Flags, use: (broker: Broker, redis: string) => Promise<T>): Promise<T> {
  const { createRedisBroker } = await import('./brokers/redis.js');
  const url = (flags.redis as string | undefined) || process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const shown = redactUrl(url);
  let broker: Broker;
  try {
    const queuePrefix = flags['queue-prefix'] as string | undefined;
    broker = createRedisBroker({ url, logger: createLogger({ level: 'error' }), ...(queuePrefix ? { queuePrefix } : {}) });
  } catch (cause) {
    throw new UsageError(`cannot use Redis URL "${shown}": ${errorMessage(cause)}`, {}, { cause });
  }
  try {
    await broker.waitUntilReady(REDIS_READY_TIMEOUT_MS);
    return await use(broker, shown);
  } catch (cause) {
    if (cause instanceof SpindleError) throw cause;
    throw new BrokerError(`Redis at ${shown}: ${errorMessage(cause)}`, {}, { cause });
  } finally {
    await broker.close();
  }
}

/** `text`, once it parses as JSON; `what` names the argument in the error. */
function jsonArgument(text: string, what: string): string {
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${what} is not JSON: ${errorMessage(cause)}`, {}, { cause });
  }
  return text;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

const commands: Record<string, Command> = {
  async validate([file = 'spindle.toml']) {
    const { manifest, warnings } = await loadManifest(file);
    const triggers = Object.entries(manifest.trigger).map(([kind, list]) => `${list.length} ${kind}`).join(', ');
    console.log(`${file}: ok — ${Object.keys(manifest.component).length} components; triggers: ${triggers}`);
    for (const warning of warnings) console.error(`${file}: warning: ${warning.path}: ${warning.message}`);
    return 0;
  },

  async schema() {
    const { manifestJsonSchema } = await import('./manifest/json-schema.js');
    process.stdout.write(manifestJsonSchema());
    return 0;
  },

  async new([template, dir], flags) {
    const { newCommand } = await import('./new/command.js');
    return newCommand(template, dir, { list: flags.list === true });
  },

  async build([file = 'spindle.toml'], flags) {
    const { buildComponents } = await import('./build/build.js');
    const app = await loadManifest(file, { checkSources: false });
    await buildComponents(app, { force: flags.force === true, allowOutside: flags['allow-outside'] === true, progress: (line) => console.log(line) });
    return 0;
  },

  async up([file = 'spindle.toml'], flags) {
    const workers = flags.workers === undefined ? undefined : Number(flags.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
      throw new UsageError(`--workers expects a whole number from 1 to ${MAX_WORKERS}, got "${flags.workers}"`);
    }
    const logFormat = flags['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json');
    if (logFormat !== 'pretty' && logFormat !== 'json') throw new UsageError(`--log-format expects "pretty" or "json", got "${logFormat}"`);
    const options = {
      listen: flags.listen as string | undefined,
      admin: flags.admin as string | undefined,
      redis: flags.redis as string | undefined,
      workers,
      logLevel: flags['log-level'] as string | undefined,
      logFormat,
    } as const;
    if (flags.watch) return (await import('./watch.js')).runWatched(file, options);
    const { prestartWorkerThreads, workerCount } = await import('./executor/pool/worker-threads.js');
    prestartWorkerThreads(workerCount(workers));
    const { runApp } = await import('./app.js');
    return runApp(file, options);
  },

  async publish([channel, message], flags) {
    required(channel, '<channel>');
    const data = new TextEncoder().encode(required(message, '<message>'));
    await withRedis(flags, (broker) => broker.publish(channel!, data));
    console.log(`published ${data.byteLength} bytes on "${channel}"`);
    return 0;
  },

  async enqueue([queue, json], flags) {
    required(queue, '<queue>');
    const text = required(json, '<json>');
    jsonArgument(text, 'the job data');
    const delayMs = flags.delay === undefined ? undefined : parseDuration(String(flags.delay));
    if (flags.delay !== undefined && delayMs === undefined) throw new UsageError(`--delay: expected a duration like "5s", got "${flags.delay}"`);
    const jobId = flags['job-id'] as string | undefined;
    const badId = jobId === undefined ? undefined : jobIdProblem(jobId);
    if (badId) throw new UsageError(`--job-id: ${badId}`);
    const id = await withRedis(flags, async (broker, redis) => {
      if (!(await broker.declaredPolicy(queue!))) {
        const undeclared = `no app on ${redis} has declared queue "${queue}" (no [[trigger.queue]] for it has started there)`;
        if (flags.strict) throw new SpindleError(`${undeclared}; nothing enqueued (--strict)`);
        console.error(`spindle enqueue: warning: ${undeclared}; the job waits until one does (--strict refuses instead)`);
      }
      return broker.enqueue(queue!, new TextEncoder().encode(text), { delayMs, jobId });
    });
    console.log(`enqueued job ${id} on "${queue}"`);
    return 0;
  },

  async jobs([queue, action, id, ...extra], flags) {
    required(queue, '<queue>');
    if (action !== undefined) return jobAction(queue!, action, id, extra, flags);
    const [counts, failed] = await withRedis(flags, (broker) => Promise.all([broker.jobCounts(queue!), broker.failedJobs(queue!, 20)]));
    console.log(`queue "${queue}": ${Object.entries(counts).map(([state, n]) => `${n} ${state}`).join(', ')}`);
    if (failed.length > 0) {
      console.log(`failed jobs (newest first, up to 20):`);
      for (const job of failed) {
        const when = job.failedAt ? new Date(job.failedAt).toISOString() : '';
        console.log(`  ${job.id}  ${when}  after ${job.attemptsMade} attempt(s): ${job.reason}`);
      }
    }
    return 0;
  },
};

const JOB_ACTIONS = ['retry', 'promote', 'remove', 'replay'];

/** `spindle jobs <queue> <action> ...`: acts on one job, or on every failed job with `retry --all-failed`. */
async function jobAction(queue: string, action: string, id: string | undefined, extra: string[], flags: Flags): Promise<number> {
  if (!JOB_ACTIONS.includes(action)) throw new UsageError(`unknown jobs action "${action}": expected ${JOB_ACTIONS.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments after the job id: ${extra.join(' ')}`);
  if (flags.data !== undefined && action !== 'replay') throw new UsageError('--data is for replay');
  if (flags['all-failed']) {
    if (action !== 'retry') throw new UsageError('--all-failed is for retry');
    if (id !== undefined) throw new UsageError('give a job id or --all-failed, not both');
    const retried = await withRedis(flags, (broker) => broker.retryFailed(queue));
    console.log(`retried ${retried} failed job(s) on "${queue}"`);
    return 0;
  }
  const jobId = required(id, '<id>');
  if (action !== 'replay') {
    await withRedis(flags, (broker) => broker.actOnJob(queue, jobId, action as JobAction));
    console.log(`${JOB_ACTION_DONE[action as JobAction]} job ${jobId} on "${queue}"`);
    return 0;
  }
  const data = flags.data === undefined ? undefined : new TextEncoder().encode(jsonArgument(String(flags.data), '--data'));
  const replayed = await withRedis(flags, async (broker) => {
    const job = await broker.job(queue, jobId);
    if (!job) throw missingJob(queue, jobId);
    return broker.enqueue(queue, data ?? job.data);
  });
  console.log(`replayed job ${jobId} on "${queue}" as job ${replayed}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        listen: { type: 'string' },
        'queue-prefix': { type: 'string' },
        admin: { type: 'string' },
        redis: { type: 'string' },
        delay: { type: 'string' },
        'job-id': { type: 'string' },
        data: { type: 'string' },
        'all-failed': { type: 'boolean' },
        strict: { type: 'boolean' },
        workers: { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        force: { type: 'boolean' },
        list: { type: 'boolean' },
        watch: { type: 'boolean' },
        'allow-outside': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`spindle: ${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const [name, ...rest] = parsed.positionals;
  if (parsed.values.help || !name) {
    console.log(USAGE);
    return name || parsed.values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`spindle: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, parsed.values);
  } catch (err) {
    if (err instanceof ManifestError) console.error(err.message);
    else if (err instanceof UsageError) {
      console.error(`spindle ${name}: ${err.message} (see spindle --help)`);
      return 2;
    } else if (err instanceof SpindleError) console.error(`spindle ${name}: ${err.message}`);
    else console.error(`spindle ${name}: unexpected error:`, err);
    return 1;
  }
}
