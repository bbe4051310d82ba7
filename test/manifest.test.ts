import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { parseManifest } from '../src/app-manifest.js';
import { manifestProblems } from './support/manifest-problems.js';

const GOOD = `
spindle_manifest_version = 1
[application]
name = "orders"

[[trigger.http]]
route = "/orders/..."
component = "api"

[[trigger.redis]]
pattern = "orders.*"
component = "api"

[[trigger.queue]]
queue = "emails"
component = "api"
concurrency = 8
attempts = 5
backoff = { type = "exponential", delay = "1s" }

[[trigger.cron]]
schedule = "*/10 * * * * *"
timezone = "Europe/Vienna"
component = "api"

[component.api]
source = "api.wasm"
allowed_outbound_hosts = ["https://api.example.com"]
environment = { LOG_LEVEL = "info" }
files = ["static", { source = "data", destination = "/var/data" }]
timeout = "5s"
memory = "64MiB"
`;

let dir: string;
let file: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spindle-manifest-'));
  file = join(dir, 'spindle.toml');
  await writeFile(join(dir, 'api.wasm'), 'not checked here');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'static'));
  await mkdir(join(dir, 'data'));
});

const problems = (text: string) => manifestProblems(text, file);

describe('manifest', () => {
  it('accepts a full manifest, applies defaults and resolves paths against its directory', async () => {
    const { manifest } = await parseManifest(GOOD, file);
    const api = manifest.component.api!;
    assert.equal(api.source, join(dir, 'api.wasm'));
    assert.equal(api.timeout, 5_000);
    assert.equal(api.memory, 64 * 1024 * 1024);
    assert.deepEqual(api.files, [
      { source: join(dir, 'static'), destination: '/static' },
      { source: join(dir, 'data'), destination: '/var/data' },
    ]);
    assert.equal(api.isolation, 'pooled');
    assert.deepEqual(manifest.trigger.queue[0]!.backoff, { type: 'exponential', delay: 1_000 });
    assert.equal(manifest.runtime.mode, 'embedded');
    assert.equal(manifest.runtime.max_body_size, 1024 * 1024);
    assert.deepEqual(manifest.trigger.redis[0], { pattern: 'orders.*', component: 'api' });
  });

  it('names a missing field', async () => {
    assert.deepEqual(await problems(GOOD.replace('source = "api.wasm"', '')), ['component.api.source: missing required field']);
  });

  it('names a field of the wrong type and what was expected', async () => {
    const found = await problems(GOOD.replace('concurrency = 8', 'concurrency = "eight"'));
    assert.deepEqual(found, ['trigger.queue[0].concurrency: expected number, received string']);
  });

  it('rejects unknown fields', async () => {
    const found = await problems(GOOD.replace('timeout = "5s"', 'timeout = "5s"\ntimout = "5s"'));
    assert.deepEqual(found, ['component.api: unknown field "timout"']);
  });

  it('rejects a trigger naming a component that does not exist', async () => {
    const found = await problems(GOOD.replace('route = "/orders/..."\ncomponent = "api"', 'route = "/orders/..."\ncomponent = "apii"'));
    assert.deepEqual(found, ['trigger.http[0].component: no component "apii" (known: api)']);
  });

  it('rejects two routes that match the same paths', async () => {
    const found = await problems(GOOD.replace('[[trigger.redis]]', '[[trigger.http]]\nroute = "/orders/..."\ncomponent = "api"\n\n[[trigger.redis]]'));
    assert.deepEqual(found, ['trigger.http[1].route: route "/orders/..." conflicts with route "/orders/..."']);
    const params = await problems(GOOD.replace('route = "/orders/..."', 'route = "/a/:x"').replace('[[trigger.redis]]', '[[trigger.http]]\nroute = "/a/:y"\ncomponent = "api"\n\n[[trigger.redis]]'));
    assert.deepEqual(params, ['trigger.http[1].route: route "/a/:y" conflicts with route "/a/:x"']);
  });

  it('rejects a malformed route, duration, size, cron expression and time zone', async () => {
    const found = await problems(
      GOOD.replace('route = "/orders/..."', 'route = "orders/...x"')
        .replace('timeout = "5s"', 'timeout = "soon"')
        .replace('memory = "64MiB"', 'memory = "lots"')
        .replace('schedule = "*/10 * * * * *"', 'schedule = "every minute"')
        .replace('Europe/Vienna', 'Mars/Olympus'),
    );
    assert.deepEqual(found.sort(), [
      'component.api.memory: expected a size like "64MiB" or "1MB", got "lots"',
      'component.api.timeout: expected a duration like "5s" or "500ms", got "soon"',
    ]);
    const cross = await problems(
      GOOD.replace('route = "/orders/..."', 'route = "orders/..."').replace('schedule = "*/10 * * * * *"', 'schedule = "every minute"').replace('Europe/Vienna', 'Mars/Olympus'),
    );
    assert.deepEqual(cross.sort(), [
      'trigger.cron[0].schedule: invalid cron expression "every minute"',
      'trigger.cron[0].timezone: unknown time zone "Mars/Olympus"',
      'trigger.http[0].route: invalid route "orders/...": a route must start with "/"',
    ]);
  });

  it('rejects a malformed allowed outbound host', async () => {
    const found = await problems(GOOD.replace('"https://api.example.com"', '"https://api.example.com", "api.example.com"'));
    assert.deepEqual(found, ['component.api.allowed_outbound_hosts[1]: expected "scheme://host[:port]", got "api.example.com"']);
  });

  it('checks variables: a default or required, and templates naming declared ones', async () => {
    const found = await problems(
      GOOD.replace('[component.api]', '[variables]\nregion = { default = "eu" }\nloose = {}\n\n[component.api]').replace(
        'memory = "64MiB"',
        'memory = "64MiB"\nvariables = { where = "in {{ region }}", key = "{{ api_key }}" }',
      ),
    );
    assert.deepEqual(found, [
      'variables.loose: a variable needs a default or required = true',
    ]);
    const unknown = await problems(
      GOOD.replace('[component.api]', '[variables]\nregion = { default = "eu" }\n\n[component.api]').replace(
        'memory = "64MiB"',
        'memory = "64MiB"\nvariables = { where = "in {{ region }}", key = "{{ api_key }}" }',
      ),
    );
    assert.deepEqual(unknown, ['component.api.variables.key: refers to undeclared variable "api_key"']);
  });

  it('requires exactly one of channel or pattern on a redis trigger', async () => {
    const found = await problems(GOOD.replace('pattern = "orders.*"', 'pattern = "orders.*"\nchannel = "orders"'));
    assert.deepEqual(found, ['trigger.redis[0]: expected exactly one of "channel" or "pattern"']);
  });

  it('names a component file that does not exist', async () => {
    const found = await problems(GOOD.replace('source = "api.wasm"', 'source = "missing.wasm"'));
    assert.deepEqual(found, [`component.api.source: component file not found: ${join(dir, 'missing.wasm')}`]);
  });

  it('checks dependencies: exactly one of path or component, a declared component, an existing file', async () => {
    const withDependencies = (entries: string) => problems(GOOD.replace('memory = "64MiB"', `memory = "64MiB"\ndependencies = { ${entries} }`));
    assert.deepEqual(await withDependencies('"acme:text/render" = { path = "r.wasm", component = "api" }'), [
      'component.api.dependencies.acme:text/render: expected exactly one of "path" or "component"',
    ]);
    assert.deepEqual(await withDependencies('"acme:text" = { component = "nope" }'), ['component.api.dependencies.acme:text.component: no component "nope" (known: api)']);
    assert.deepEqual(await withDependencies('"acme:text" = { component = "api" }'), ['component.api.dependencies.acme:text.component: a component cannot be its own dependency']);
    assert.deepEqual(await withDependencies('"acme:text@0.1.0" = { path = "missing.wasm" }'), [
      `component.api.dependencies.acme:text@0.1.0.path: component file not found: ${join(dir, 'missing.wasm')}`,
    ]);
    assert.deepEqual(await withDependencies('"render" = { path = "api.wasm" }'), [
      'component.api.dependencies.render: expected an import name like "acme:text/render@0.1.0", "acme:text/render" or a package "acme:text"',
    ]);
  });

  it('reports invalid TOML with its line and column', async () => {
    const found = await problems('spindle_manifest_version = 1\n[application\nname = "x"\n');
    assert.equal(found.length, 1);
    assert.match(found[0]!, /^line 2, column \d+: invalid TOML/);
  });

  it('reports every problem at once', async () => {
    const found = await problems(GOOD.replace('name = "orders"', 'name = 5').replace('attempts = 5', 'attempts = 0').replace('memory = "64MiB"', 'memory = "64MiB"\nbogus = 1'));
    assert.equal(found.length, 3, found.join('\n'));
  });

  it('spindle validate exits 1 and prints the file, the field path and what was expected', async () => {
    const bad = join(dir, 'bad.toml');
    await writeFile(bad, GOOD.replace('concurrency = 8', 'concurrency = "eight"'));
    const bin = new URL('../../bin/spindle.js', import.meta.url).pathname;
    const run = promisify(execFile);
    const failure = await run(process.execPath, [bin, 'validate', bad]).then(
      () => assert.fail('validate should fail'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}: trigger\\.queue\\[0\\]\\.concurrency: expected number, received string`));

    await writeFile(join(dir, 'good.toml'), GOOD);
    const good = await run(process.execPath, [bin, 'validate', join(dir, 'good.toml')]);
    assert.match(good.stdout, /ok — 1 components; triggers: 1 http, 1 redis, 1 queue, 1 cron/);
  });
});
