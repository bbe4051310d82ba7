/**
 * The worker threads a pool runs guests on, each with its channel for host calls. `spindle up`
 * starts them before it has even read the manifest: a thread's own boot (Node's start-up, then
 * the worker's imports and the WASI shim) then overlaps the main thread's imports and component
 * loading instead of following them.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { threadEntry } from '../../util/thread-entry.js';

/** The worker's entry, by URL: the pool never imports worker code, it only starts it. */
const WORKER_SCRIPT = threadEntry(new URL('../worker/main.js', import.meta.url), 'executor-worker.js');

export interface WorkerThread {
  thread: Worker;
  /** The main thread's end of the worker's host-call channel. */
  hostCalls: MessagePort;
}

/** Threads started ahead, with whether each is still alive. */
const prestarted: Array<WorkerThread & { exited: boolean }> = [];

/** How many workers a pool has when `requested` are asked for: by default one per core. */
export function workerCount(requested?: number): number {
  return Math.max(1, Math.floor(requested ?? availableParallelism()));
}

function startThread(): WorkerThread {
  const channel = new MessageChannel();
  const thread = new Worker(WORKER_SCRIPT, { workerData: { hostCalls: channel.port2 }, transferList: [channel.port2] });
  return { thread, hostCalls: channel.port1 };
}

/**
 * Starts `count` threads for the pools to come to take. Until taken they do not keep the
 * process alive, so a start-up that fails before its pool exists still exits.
 */
export function prestartWorkerThreads(count: number): void {
  for (let i = 0; i < count; i++) {
    const started = { ...startThread(), exited: false };
    started.thread.unref();
    // A thread that dies before it is taken is replaced when taken; its error is that news.
    started.thread.on('error', () => {});
    started.thread.once('exit', () => (started.exited = true));
    prestarted.push(started);
  }
}

/** A thread started ahead, when one is left and alive, else a new one. */
export function workerThread(): WorkerThread {
  for (let next = prestarted.shift(); next; next = prestarted.shift()) {
    if (next.exited) continue;
    next.thread.ref();
    return { thread: next.thread, hostCalls: next.hostCalls };
  }
  return startThread();
}
