/**
 * WASI 0.2 host imports for one guest instance, built on preview2-shim's in-memory family
 * (the one it ships for browsers, plain JavaScript). Its Node family routes every stream
 * through a shared I/O worker thread and reads process-wide state; this family keeps each
 * instance's world to itself and never blocks on another thread.
 *
 * The sandbox, per component: the environment is only the manifest's `environment`; the
 * filesystem is only the manifest's `files`, snapshotted read-only into memory at load time;
 * outbound HTTP is refused unless a host is allowed, and what is allowed is sent by the main
 * thread (`capabilities/outgoing-http.ts`); `wasi:cli/exit` throws instead of ending the process; stdout and
 * stderr become log lines tagged with the component.
 */

import { outgoingHandler, prepareOutgoingHttp, type OutgoingHttpHost } from '../../capabilities/outgoing-http.js';
import type { FileTree, WasiInterface } from '../guest-spec.js';

/** Writes a guest's output stream, one complete line at a time. */
export type LineSink = (line: string) => void;

export interface GuestSandbox {
  /** Program name the guest sees as its first argument. */
  name: string;
  environment: Record<string, string>;
  /** Guest path → read-only snapshot of a granted host directory or file. */
  preopens: Record<string, FileTree>;
  stdout: LineSink;
  stderr: LineSink;
  outgoingHttp: OutgoingHttpHost;
}

export type ShimModule = Record<string, any>;
interface Shim {
  cli: ShimModule;
  io: ShimModule;
  clocks: ShimModule;
  random: ShimModule;
  http: ShimModule;
  filesystem: ShimModule;
  sockets: ShimModule;
  /** `wasi:io/poll` answering synchronously. */
  poll: ShimModule;
}

const SHIM_BASE = new URL('../browser/', import.meta.resolve('@bytecodealliance/preview2-shim'));

async function loadShim(): Promise<Shim> {
  const names = ['cli', 'io', 'clocks', 'random', 'http', 'filesystem', 'sockets'] as const;
  const modules = await Promise.all(names.map((n) => import(new URL(`${n}.js`, SHIM_BASE).href) as Promise<ShimModule>));
  const loaded = Object.fromEntries(names.map((n, i) => [n, modules[i]])) as unknown as Omit<Shim, 'poll'>;
  prepareOutgoingHttp(loaded.http, loaded.io);
  return { ...loaded, poll: synchronousPoll(loaded.io) };
}

/**
 * The in-memory family answers `poll` and `pollable.block` with promises, for hosts with
 * JSPI. Node 20 has none, so a guest must get its answer before the call returns: waiting
 * means sleeping the thread until the earliest clock deadline. Every other pollable in this
 * family is backed by memory and is ready at once; one that is not can never become ready
 * while the thread sleeps, so waiting on it is an error instead of a hang.
 */
const deadlines = new WeakMap<object, number>();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function waitUntilReady(pollables: Array<{ ready(): boolean }>): number[] {
  for (;;) {
    const ready: number[] = [];
    let next = Infinity;
    pollables.forEach((p, i) => {
      if (p.ready()) ready.push(i);
      else next = Math.min(next, deadlines.get(p) ?? Infinity);
    });
    if (ready.length > 0) return ready;
    if (next === Infinity) throw new Error('the guest waits for I/O that cannot complete while it runs');
    Atomics.wait(sleeper, 0, 0, Math.max(0, next - performance.now()));
  }
}

function synchronousPoll(io: ShimModule): ShimModule {
  const Pollable = io.poll.Pollable as { prototype: { block(): void; ready(): boolean } };
  Pollable.prototype.block = function block(this: { ready(): boolean }) {
    waitUntilReady([this]);
  };
  return { Pollable, poll: (list: Array<{ ready(): boolean }>) => new Uint32Array(waitUntilReady(list)) };
}

function monotonicClock(io: ShimModule) {
  const at = (deadline: number) => {
    const pollable = io.pollableCreate({
      ready: () => performance.now() >= deadline,
      wait: () => new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now()))),
    });
    deadlines.set(pollable, deadline);
    return pollable;
  };
  return {
    resolution: () => 1_000n,
    now: () => BigInt(Math.round(performance.now() * 1e6)),
    subscribeInstant: (instant: bigint) => at(Number(instant) / 1e6),
    subscribeDuration: (duration: bigint) => at(performance.now() + Number(duration) / 1e6),
  };
}

let shimPromise: Promise<Shim> | undefined;
/** The shim modules, loaded once per thread. */
export function shim(): Promise<Shim> {
  return (shimPromise ??= loadShim());
}

function lineStream(sink: LineSink) {
  const decoder = new TextDecoder();
  let pending = '';
  const flush = () => {
    pending += decoder.decode();
    if (pending) sink(pending);
    pending = '';
  };
  return {
    write(bytes: Uint8Array) {
      pending += decoder.decode(bytes, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        if (line) sink(line);
        pending = pending.slice(nl + 1);
      }
    },
    flush,
    blockingFlush: flush,
    drop: flush,
  };
}

/**
 * The import object for one instance, keyed by unversioned interface name as jco's
 * instantiate expects.
 */
export async function wasiImports(sandbox: GuestSandbox): Promise<Record<WasiInterface, unknown>> {
  const s = await shim();
  const cli = s.cli.createCli({
    environment: sandbox.environment,
    arguments: [sandbox.name],
    initialCwd: '/',
    stdout: lineStream(sandbox.stdout),
    stderr: lineStream(sandbox.stderr),
  });
  const clock = monotonicClock(s.io);
  const fs = s.filesystem.createFilesystem({ adapter: new s.filesystem.InMemoryFilesystemAdapter(), preopens: sandbox.preopens });
  return {
    'wasi:cli/environment': cli.environment,
    'wasi:cli/exit': cli.exit,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': cli.terminalStdin,
    'wasi:cli/terminal-stdout': cli.terminalStdout,
    'wasi:cli/terminal-stderr': cli.terminalStderr,
    'wasi:clocks/monotonic-clock': clock,
    'wasi:clocks/wall-clock': s.clocks.wallClock,
    'wasi:filesystem/preopens': fs.preopens,
    'wasi:filesystem/types': fs.types,
    'wasi:io/error': s.io.error,
    'wasi:io/poll': s.poll,
    'wasi:io/streams': s.io.streams,
    'wasi:random/random': s.random.random,
    'wasi:random/insecure': s.random.insecure,
    'wasi:random/insecure-seed': s.random.insecureSeed,
    'wasi:http/types': s.http.types,
    'wasi:http/outgoing-handler': outgoingHandler(s.http, s.io, sandbox.outgoingHttp),
    'wasi:sockets/network': s.sockets.network,
    'wasi:sockets/instance-network': s.sockets.instanceNetwork,
    'wasi:sockets/ip-name-lookup': s.sockets.ipNameLookup,
    'wasi:sockets/tcp': s.sockets.tcp,
    'wasi:sockets/tcp-create-socket': s.sockets.tcpCreateSocket,
    'wasi:sockets/udp': s.sockets.udp,
    'wasi:sockets/udp-create-socket': s.sockets.udpCreateSocket,
  };
}
