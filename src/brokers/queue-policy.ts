/**
 * A queue's retry policy as Redis keeps it, with the apps that declared it. Queues are shared by
 * name on purpose: the processes of one app scale out on a queue, and other producers reach it
 * by name. So the same policy declared again is fine, while a different one would change the
 * other app's jobs behind its back and is refused, naming both policies and the other app. An
 * app that alone declared a queue may change its policy, which is how a redeploy changes it.
 */
import { BrokerError } from '../errors.js';
import { formatDuration } from '../manifest/units.js';
import type { RetryPolicy } from './broker.js';

/** The stored form: the policy and every app that declared it (none in records from before apps were named). */
export interface PolicyRecord extends RetryPolicy {
  apps: string[];
}

export interface Declaration {
  queue: string;
  /** The Redis key holding the record, named in the refusal so an operator can clear it. */
  key: string;
  app: string;
  policy: RetryPolicy;
}

export type Verdict =
  /** The record already says this: nothing to write. */
  | { kind: 'keep' }
  /** Write `record` (a new queue, or this app joining a queue declared with the same policy). */
  | { kind: 'write'; record: string }
  /** This app alone declared the queue, with another policy: `record` replaces `previous`. */
  | { kind: 'replace'; record: string; previous: RetryPolicy }
  | { kind: 'refuse'; error: BrokerError };

export function describePolicy(policy: RetryPolicy): string {
  return `attempts ${policy.attempts}, ${policy.backoff.type} backoff ${formatDuration(policy.backoff.delay)}`;
}

export function parsePolicyRecord(raw: string): PolicyRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const { attempts, backoff, apps } = (value ?? {}) as Partial<Record<keyof PolicyRecord, unknown>>;
  const { type, delay } = (backoff ?? {}) as Record<string, unknown>;
  if (!Number.isInteger(attempts) || (type !== 'fixed' && type !== 'exponential') || typeof delay !== 'number') return undefined;
  return {
    attempts: attempts as number,
    backoff: { type, delay },
    apps: Array.isArray(apps) ? apps.filter((a): a is string => typeof a === 'string') : [],
  };
}

export function samePolicy(a: RetryPolicy, b: RetryPolicy): boolean {
  return a.attempts === b.attempts && a.backoff.type === b.backoff.type && a.backoff.delay === b.backoff.delay;
}

function encode(policy: RetryPolicy, apps: string[]): string {
  return JSON.stringify({ attempts: policy.attempts, backoff: { type: policy.backoff.type, delay: policy.backoff.delay }, apps } satisfies PolicyRecord);
}

/** What declaring `d` over the stored record `raw` (null: none) does. */
export function judgeDeclaration(d: Declaration, raw: string | null): Verdict {
  if (raw === null) return { kind: 'write', record: encode(d.policy, [d.app]) };
  const existing = parsePolicyRecord(raw);
  if (!existing) {
    return {
      kind: 'refuse',
      error: new BrokerError(
        `queue "${d.queue}": the Redis key ${d.key} holds ${JSON.stringify(raw.slice(0, 200))}, which is not a retry policy Spindle wrote; app "${d.app}" will not overwrite it (delete the key if nothing uses it)`,
        { queue: d.queue },
      ),
    };
  }
  if (samePolicy(existing, d.policy)) {
    return existing.apps.includes(d.app) ? { kind: 'keep' } : { kind: 'write', record: encode(d.policy, [...existing.apps, d.app]) };
  }
  const others = existing.apps.filter((a) => a !== d.app);
  if (others.length === 0) return { kind: 'replace', record: encode(d.policy, [d.app]), previous: existing };
  const names = others.map((a) => `"${a}"`).join(', ');
  return {
    kind: 'refuse',
    error: new BrokerError(
      `queue "${d.queue}" has retry policy ${describePolicy(existing)}, declared by app${others.length > 1 ? 's' : ''} ${names}; ` +
        `app "${d.app}" declares ${describePolicy(d.policy)}. Apps on one Redis share a queue by name, so they must declare the same policy: ` +
        `align them, or give one app's queue another name (if ${names} no longer use${others.length > 1 ? '' : 's'} it, delete the Redis key ${d.key})`,
      { queue: d.queue },
    ),
  };
}
