// POST /jobs {"text": "..."} enqueues the work and answers with the job's id;
// GET /jobs/:id answers with the result once the worker has stored it.
import { enqueue, json, kv, onHttp, status } from 'spindle/sdk';
import type { Result, Work } from './work.js';

export const handle = onHttp((event) => {
  const { method, params } = event.http;
  if (params.id !== undefined) {
    const result = kv.getJson<Result>('results', params.id);
    return result ? json(200, result) : json(404, { error: `no result for job ${params.id} yet` });
  }
  if (method !== 'POST') return status(405);
  const work = event.json<Partial<Work>>();
  if (typeof work?.text !== 'string') return json(400, { error: 'expected {"text": "..."}' });
  const id = enqueue('work', { text: work.text } satisfies Work);
  return json(202, { id });
});
