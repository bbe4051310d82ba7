/**
 * Editor support: the JSON Schema this package ships is the one generated from the zod schema,
 * `spindle schema` prints it, and every manifest in the repository names it on its first line
 * and, read as TOML, passes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { SCHEMA_FILE, manifestJsonSchema } from '../src/manifest/json-schema.js';
import { checkJsonSchema } from './support/json-schema-check.js';
import { BIN } from './support/spindle-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA = join(ROOT, SCHEMA_FILE);
const SKIPPED = new Set(['node_modules', 'dist', '.spindle', '.git']);

/** Every `spindle.toml` under `dir`; a `spin.toml` is Spin's format, with Spin's own schema. */
async function manifests(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found = await Promise.all(
    entries.map((e) => (e.isDirectory() ? (SKIPPED.has(e.name) ? [] : manifests(join(dir, e.name))) : e.name === 'spindle.toml' ? [join(dir, e.name)] : [])),
  );
  return found.flat();
}

describe('the manifest JSON Schema', () => {
  it('ships as generated from the zod schema, in draft 7, and is what spindle schema prints', async () => {
    const shipped = await readFile(SCHEMA, 'utf8');
    assert.equal(shipped, manifestJsonSchema(), `${SCHEMA_FILE} is stale: write the output of spindle schema to it`);
    assert.equal(JSON.parse(shipped).$schema, 'http://json-schema.org/draft-07/schema#');
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'schema']);
    assert.equal(stdout, shipped);
  });

  it('is named by the first line of every manifest in the repository, each of which passes it', async () => {
    const schema = JSON.parse(await readFile(SCHEMA, 'utf8'));
    const found = await manifests(ROOT);
    assert.ok(found.length >= 10, `found ${found.length} manifests`);
    for (const file of found) {
      const text = await readFile(file, 'utf8');
      const first = text.split('\n', 1)[0]!;
      const named = first.match(/^#:schema (\S+)$/)?.[1];
      assert.ok(named, `${relative(ROOT, file)} starts with "${first}", not a #:schema line`);
      assert.equal(resolve(dirname(file), named), SCHEMA, `${relative(ROOT, file)} names ${named}`);
      assert.deepEqual(checkJsonSchema(schema, parse(text)), [], relative(ROOT, file));
    }
  });

  it('rejects what the manifest loader rejects: an unknown field, a wrong type, a bad name', async () => {
    const schema = JSON.parse(await readFile(SCHEMA, 'utf8'));
    const broken = parse(`
spindle_manifest_version = 1
[application]
name = "1st"
[component.api]
source = "api.wasm"
timout = "5s"
max_concurrency = "many"
`);
    assert.deepEqual(checkJsonSchema(schema, broken), [
      '$.application.name: does not match ^[a-zA-Z][a-zA-Z0-9_-]*$',
      '$.component.api.max_concurrency: expected integer, got string',
      '$.component.api.timout: unknown field',
    ]);
  });
});
