/** HTTP load with autocannon: the same client settings for every server measured. */
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface LoadOptions {
  connections?: number;
  seconds?: number;
  warmupSeconds?: number;
}

export async function measureHttp(url: string, options: LoadOptions = {}): Promise<LoadResult> {
  const connections = options.connections ?? 50;
  if ((options.warmupSeconds ?? 1) > 0) await autocannon({ url, connections, duration: options.warmupSeconds ?? 1 });
  const r = await autocannon({ url, connections, duration: options.seconds ?? 5 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts };
}
