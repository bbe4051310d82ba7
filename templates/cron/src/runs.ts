// GET /runs: how many times the job ran, and when the last run was due.
import { json, kv, onHttp } from 'spindle/sdk';

export const handle = onHttp(() => json(200, { count: Number(kv.getText('runs', 'count') ?? 0), last: kv.getText('runs', 'last') ?? null }));
