/**
 * The entry of a guest worker thread. It loads the components the main thread posts, then runs
 * the events it is handed, one at a time, answering each with its outcome. A guest call is
 * synchronous and may never return, so this thread cannot keep deadlines: the main thread does,
 * and terminates the thread when one passes.
 */
import { parentPort, workerData, type MessagePort, type Transferable } from 'node:worker_threads';
import type { HostServices } from '../../capabilities/contract.js';
import { routedServices, ServicesLaneClient } from '../../capabilities/services-lane.js';
import type { Failure, Outcome, SpindleEvent } from '../../event.js';
import { errorMessage } from '../../errors.js';
import type { LogLevel } from '../../log.js';
import { formatSize } from '../../manifest/units.js';
import type { GuestSpec } from '../guest-spec.js';
import { unpackEvents } from '../pool/event-batch.js';
import { HostCallClient } from '../pool/host-call-bridge.js';
import { ownBytes, serializeError, toWireOutcome, type FromWorker, type InstanceSource, type ToWorker } from '../pool/protocol.js';
import { classifyGuestError } from './guest-errors.js';
import { importGlue, prepareGuest, type Guest } from './guest.js';
import { createInstancePool, type InstancePool } from './instance-pool.js';
import { exhaustedMemory, watchEvent } from './memory-watch.js';
import { shim } from './wasi-shim.js';
import { worlds } from './worlds/index.js';

if (!parentPort) throw new Error('executor/worker/main.ts is the entry of a worker thread, not a module to import');
const port = parentPort;
const hostCalls = new HostCallClient((workerData as { hostCalls: MessagePort }).hostCalls);
/** The lane to the services thread, handed over with the components to load. */
let lane: ServicesLaneClient | undefined;

// Loaded while the main thread is still compiling the components, rather than by the first
// event, which would pay for it inside its deadline.
const shimLoading = shim();

const components = new Map<string, { guest: Guest; pool: InstancePool }>();
/** The event running now; guest output is tagged with it. */
let currentEventId: string | undefined;

/**
 * Lines one event may log (guest output, guest log calls, refused calls). A guest that logs in
 * a loop would otherwise flood the host's log and the thread boundary until its deadline; past
 * the limit lines are counted, and one line at the end of the event says how many were dropped.
 */
const LOG_LINES_PER_EVENT = 200;
/** The longest line passed on; a longer one is cut, and says so. */
const MAX_LINE_CHARS = 8 * 1024;
let linesThisEvent = 0;
let droppedThisEvent = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  port.postMessage(message, transfer);
}

function log(level: LogLevel, component: string, fields: Record<string, unknown>, msg: string): void {
  if (currentEventId !== undefined && ++linesThisEvent > LOG_LINES_PER_EVENT) {
    droppedThisEvent++;
    return;
  }
  const text = msg.length > MAX_LINE_CHARS ? `${msg.slice(0, MAX_LINE_CHARS)}… (cut from ${msg.length} characters)` : msg;
  post({ type: 'log', level, component, eventId: currentEventId, fields, msg: text });
}

async function load(specs: GuestSpec[]): Promise<void> {
  for (const spec of specs) {
    try {
      const guest = await prepareGuest(spec, {
        stdout: (line) => log('info', spec.id, { stream: 'stdout' }, line),
        stderr: (line) => log('warn', spec.id, { stream: 'stderr' }, line),
        log: (level, fields, msg) => log(level, spec.id, fields, msg),
        services: (timeoutMs) => routedServices(hostCalls.services<HostServices>(timeoutMs), lane, timeoutMs),
      });
      components.set(spec.id, { guest, pool: createInstancePool(guest) });
    } catch (err) {
      post({ type: 'load-failed', component: spec.id, error: serializeError(err) });
      return;
    }
  }
  await shimLoading;
  post({ type: 'ready' });
}

/** Where the running event's instance came from; set by `run` once it has one. */
let instanceSource: InstanceSource | undefined;

async function run(id: string, event: SpindleEvent): Promise<Outcome> {
  const fail = (kind: Failure['kind'], message: string, cause?: unknown): Outcome => ({
    ok: false,
    failure: { kind, message, component: id, eventId: event.id, cause },
  });
  const loaded = components.get(id);
  if (!loaded) return fail('internal', `no component "${id}" in this worker`);
  const { guest, pool } = loaded;
  let instance;
  try {
    ({ instance, source: instanceSource } = await pool.acquire());
  } catch (err) {
    log('error', id, { err: errorMessage(err) }, 'cannot instantiate component');
    return fail('internal', `cannot instantiate "${id}": ${errorMessage(err)}`, err);
  }
  const memory = watchEvent(instance);
  try {
    const reply = await worlds[guest.spec.world](instance, event);
    memory.end();
    pool.release(instance, false);
    return { ok: true, reply };
  } catch (err) {
    memory.end();
    const failure = classifyGuestError(err);
    pool.release(instance, failure.poisoned);
    const used = failure.kind === 'trap' ? exhaustedMemory(instance, guest.spec.memoryCapBytes) : undefined;
    if (used !== undefined) {
      return fail('memory-limit', `memory limit of ${formatSize(guest.spec.memoryLimit)} reached (${formatSize(used)} in use): ${failure.message}`, failure);
    }
    return fail(failure.kind, failure.message, failure);
  }
}

async function runAndAnswer(id: string, event: SpindleEvent): Promise<void> {
  currentEventId = event.id;
  lane?.running(event);
  instanceSource = undefined;
  linesThisEvent = 0;
  droppedThisEvent = 0;
  const outcome = await run(id, event);
  if (droppedThisEvent > 0) {
    post({ type: 'log', level: 'warn', component: id, eventId: event.id, fields: { dropped: droppedThisEvent, limit: LOG_LINES_PER_EVENT }, msg: 'log lines over the per-event limit were dropped' });
  }
  currentEventId = undefined;
  // The body was made in this thread for this answer alone, so it can move instead of copy.
  const body = outcome.ok && outcome.reply.body ? ownBytes(outcome.reply.body) : undefined;
  const wire = toWireOutcome(body && outcome.ok ? { ok: true, reply: { ...outcome.reply, body } } : outcome);
  post({ type: 'outcome', outcome: wire, ...(instanceSource ? { instance: instanceSource } : {}) }, body ? [body.buffer] : []);
}

/**
 * Events run strictly one after another, in the order they came: the main thread hands this
 * worker several at once and keeps their deadlines on that assumption.
 */
let line: Promise<void> = Promise.resolve();

port.on('message', (message: ToWorker) => {
  // Imported again, from the module cache, by the load; a failure is reported there.
  if (message.type === 'preload') importGlue(message.gluePath).catch(() => {});
  else if (message.type === 'load') {
    if (message.servicesLane) lane = new ServicesLaneClient(message.servicesLane);
    void load(message.guests);
  } else {
    for (const { component, event } of unpackEvents(message.batch)) {
      line = line
        .then(() => runAndAnswer(component, event))
        // The main thread's deadline settles an event left unanswered; the line must go on.
        .catch((err: unknown) => log('error', component, { err: errorMessage(err) }, 'cannot answer an event'));
    }
  }
});
