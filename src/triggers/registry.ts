/**
 * Every trigger kind the manifest schema knows, with its adapter. The type makes the compiler
 * refuse a kind without an adapter, or an adapter for a kind the schema lacks.
 */
import type { ManifestProblem } from '../errors.js';
import type { Manifest, TriggerKind } from '../manifest/schema.js';
import cron from './cron.js';
import http from './http.js';
import queue from './queue.js';
import redis from './redis.js';
import type { TriggerAdapter } from './trigger.js';

export const triggerAdapters: { [K in TriggerKind]: TriggerAdapter<K> } = { http, redis, queue, cron };

/** Every trigger's own checks of the manifest's entries of its kind. */
export function checkTriggers(manifest: Manifest): ManifestProblem[] {
  return (Object.keys(triggerAdapters) as TriggerKind[]).flatMap((kind) =>
    (triggerAdapters[kind] as TriggerAdapter<typeof kind>).check(manifest.trigger[kind] as never, manifest),
  );
}
