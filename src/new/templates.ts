/**
 * The project templates of `spindle new`: each a folder of `templates/` in this package, plus
 * `templates/shared/` which every project gets (TypeScript settings, the test helper).
 */
import { fileURLToPath } from 'node:url';

/** This package's root: generated projects depend on it and read its schema. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));
export const SHARED_TEMPLATE = 'shared';

export interface Template {
  name: string;
  description: string;
}

export const TEMPLATES: readonly Template[] = [
  { name: 'http-api', description: 'an HTTP API: items in a key-value store behind GET, PUT and DELETE routes' },
  { name: 'queue-worker', description: 'a queue worker: POST /jobs enqueues, a worker with retries stores results' },
  { name: 'pubsub', description: 'a pub/sub reactor: POST /messages publishes, a listener reacts to each message' },
  { name: 'cron', description: 'a cron job: runs every two seconds and counts its runs, shown at GET /runs' },
  { name: 'wasi-http', description: 'a standard wasi:http fetch handler (Request in, Response out)' },
];

export function findTemplate(name: string): Template | undefined {
  return TEMPLATES.find((t) => t.name === name);
}

/** One line per template, for `spindle new --list` and the prompt. */
export function templateList(): string {
  const width = Math.max(...TEMPLATES.map((t) => t.name.length));
  return TEMPLATES.map((t) => `  ${t.name.padEnd(width)}  ${t.description}`).join('\n');
}
