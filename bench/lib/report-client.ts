/** Asks a child started by `startChild` for its counters. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export async function report<T>(child: ChildProcess): Promise<T> {
  const reply = once(child, 'message');
  child.send('report');
  return (await reply)[0] as T;
}

/** Polls `read` until it reaches `target`; returns the seconds it took from `since`. */
export async function secondsUntil(read: () => Promise<number>, target: number, since: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if ((await read()) >= target) return (performance.now() - since) / 1000;
    if (performance.now() - since > timeoutMs) throw new Error(`reached ${await read()} of ${target} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
