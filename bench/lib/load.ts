/**
 * HTTP load, the same client settings for every server measured. `wrk` runs in its own process
 * when it is installed, so the load generator is not the ceiling: autocannon inside the
 * benchmark process tops out well below what plain `node:http` serves, which flatters every
 * ratio against it. Without `wrk`, autocannon measures, and the rows say so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  generator: 'wrk' | 'autocannon';
}

export interface LoadOptions {
  connections?: number;
  seconds?: number;
  warmupSeconds?: number;
}

const run = promisify(execFile);

const wrkInstalled = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk prints its version and exits 1; only a missing binary fails to spawn.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

/** The load generator `measureHttp` uses on this machine. */
export const loadGenerator: LoadResult['generator'] = wrkInstalled ? 'wrk' : 'autocannon';

/** A wrk duration ("812.00us", "1.94ms", "1.02s") in milliseconds. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`unexpected wrk latency "${text}"`);
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Parses the report of `wrk --latency`. */
export function parseWrk(output: string): Omit<LoadResult, 'generator'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`cannot read wrk's report:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { rps: Number(rps[1]), p50: wrkMs(p50[1]!), p99: wrkMs(p99[1]!), errors };
}

/** Loads `url` with wrk for `seconds` from its own process; resolves with its report once it is done. */
export async function wrk(url: string, connections: number, seconds: number): Promise<Omit<LoadResult, 'generator'>> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return parseWrk(stdout);
}

export async function measureHttp(url: string, options: LoadOptions = {}): Promise<LoadResult> {
  const connections = options.connections ?? 50;
  const warmup = options.warmupSeconds ?? 1;
  const seconds = options.seconds ?? 5;
  if (wrkInstalled) {
    if (warmup > 0) await wrk(url, connections, warmup);
    return { ...(await wrk(url, connections, seconds)), generator: 'wrk' };
  }
  if (warmup > 0) await autocannon({ url, connections, duration: warmup });
  const r = await autocannon({ url, connections, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts, generator: 'autocannon' };
}
