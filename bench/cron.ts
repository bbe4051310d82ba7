/** Cron: how late ticks of a per-second schedule start their component, embedded and on Redis. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis } from '../test/support/redis-server.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { startChild } from './lib/processes.js';
import { report } from './lib/report-client.js';
import { percentile, valueAtMost, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const TICKS = 10;

export async function benchCron(ctx: BenchContext): Promise<Row[]> {
  await writeWatComponent(ctx.dir, 'hello');
  const manifest = join(ctx.dir, 'cron.toml');
  await writeFile(
    manifest,
    `spindle_manifest_version = 1
[application]
name = "bench-cron-${Date.now()}"
[[trigger.cron]]
schedule = "* * * * * *"
component = "hello"
[component.hello]
source = "hello.wasm"
`,
  );
  ctx.progress(`cron: ${TICKS} per-second ticks, embedded and redis (Redis at hz 10 and hz 100) side by side`);
  // BullMQ promotes a due tick when a blocked pop times out, and Redis checks those timeouts
  // `hz` times a second: its default 10 alone makes ticks up to 100 ms late.
  const fastRedis = await startRedis(['--hz', '100']);
  const app = (redisUrl?: string) =>
    startChild([join(ctx.distBench, 'servers', 'spindle-app.js'), manifest, ...(redisUrl ? [redisUrl] : [])], { SPINDLE_CACHE_DIR: ctx.cacheDir });
  const modes = [
    ['embedded (node-cron)', app()],
    ['redis (BullMQ job scheduler), Redis hz 10 (its default)', app(ctx.redisUrl)],
    ['redis (BullMQ job scheduler), Redis hz 100', app(fastRedis.url)],
  ] as const;
  await Promise.all(modes.map(([, c]) => c.waitFor(/ready/)));
  // The first tick of each can come before the process settled; measure the ones after it.
  const lateness = async (child: (typeof modes)[number][1]) => (await report<{ lateness: number[] }>(child.child)).lateness;
  for (;;) {
    const counts = await Promise.all(modes.map(([, c]) => lateness(c).then((l) => l.length)));
    if (counts.every((n) => n >= TICKS + 1)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const rows: Row[] = [];
  for (const [name, child] of modes) {
    const sorted = (await lateness(child)).slice(1, TICKS + 1).sort((a, b) => a - b);
    await child.stop();
    const p99 = percentile(sorted, 99);
    rows.push({
      group: 'cron',
      name: `tick lateness, ${name}`,
      value: Math.round(p99 * 10) / 10,
      unit: 'ms p99',
      detail: `p50 ${percentile(sorted, 50).toFixed(1)} ms over ${sorted.length} ticks`,
      target: valueAtMost(20, 'p99 ≤ 20 ms'),
    });
  }
  await fastRedis.stop();
  return rows;
}
