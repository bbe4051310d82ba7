/** Baseline: a plain BullMQ Worker doing the same trivial work as the benchmark component. */
import { Worker } from 'bullmq';
import { redisOptionsFromUrl } from '../../src/redis/url.js';
import { answerReports } from './ipc.js';

const [url, queue, concurrency] = process.argv.slice(2) as [string, string, string];
let processed = 0;
const worker = new Worker(queue, async (job) => (processed++, job.data), {
  connection: { ...redisOptionsFromUrl(url), maxRetriesPerRequest: null } as never,
  concurrency: Number(concurrency),
  removeOnComplete: { count: 1_000 },
});
await worker.waitUntilReady();
answerReports(() => ({ processed }));
console.log('ready');
