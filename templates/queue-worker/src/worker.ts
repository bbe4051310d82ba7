// Works one job of the "work" queue. A thrown RetryLater tries the job again after its
// backoff, a thrown GiveUp fails it at once; the reply body is the job's return value.
import { GiveUp, json, kv, onJob } from 'spindle/sdk';
import type { Result, Work } from './work.js';

export const handle = onJob((event) => {
  const work = event.json<Partial<Work>>();
  if (typeof work?.text !== 'string') throw new GiveUp('a job without text');
  const result: Result = { text: work.text.toUpperCase(), words: work.text.split(/\s+/).filter(Boolean).length, attempt: event.queue.attempt };
  kv.set('results', event.queue.jobId, result, { ttlMs: 60 * 60 * 1000 });
  return json(200, result);
});
