/**
 * `spindle up` as a separate process, the way it runs in production: its JSON log parsed line
 * by line, so tests can wait for what it says and read each event's outcome from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/spindle.js', import.meta.url));

export interface SpindleProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) and how long after `since` the process ended. */
  exited(since?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Starts `spindle up manifest` with `args`, logging at debug so every event's outcome is seen. */
export function startSpindle(manifest: string, args: string[], env: Record<string, string> = {}): SpindleProcess {
  const child = spawn(process.execPath, [BIN, 'up', manifest, '--log-level', 'debug', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line));
  });
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    logs,
    async exited(since = Date.now()) {
      const [code, signal] = await exit;
      return { code, signal, ms: Date.now() - since };
    },
  };
}

/**
 * Waits until `node` says where it listens and returns that address. Tests start it on port 0
 * so the kernel picks a free port: a port chosen by the test can be taken by another process
 * (an ephemeral client port, another suite's server) before the app binds it.
 */
export async function listeningUrl(node: SpindleProcess, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = node.logs.find((l) => typeof l.url === 'string' && String(l.msg).startsWith('listening on'));
    if (line) return String(line.url);
    if (node.child.exitCode !== null) throw new Error(`spindle up exited with ${node.child.exitCode} before it listened`);
    if (Date.now() > deadline) throw new Error(`spindle up did not listen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The ids of the jobs of `queue` that `node` handled successfully, read from the outcome line
 * its app logs for every event (a separate process has no `onEvent` to observe).
 */
export function completedJobs(node: SpindleProcess, queue: string): string[] {
  return node.logs.filter((l) => l.source === `/spindle/queue/${queue}` && l.ms !== undefined && l.failure === undefined).map((l) => String(l.subject));
}
