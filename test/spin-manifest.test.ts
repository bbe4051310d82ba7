/**
 * `spin.toml` as a second front end to the manifest model: Spin's fields land in the same
 * `Manifest` a `spindle.toml` gives, what Spindle cannot do is refused by Spin field path, and
 * every manifest of Spin's own repository either loads or is refused that way.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { ManifestError } from '../src/errors.js';
import { failing, spindle } from './support/cli.js';
import { manifestProblems } from './support/manifest-problems.js';

/** Spin's manifests, kept beside the project (see its README there), or where SPIN_CORPUS says. */
const CORPUS = process.env.SPIN_CORPUS ?? fileURLToPath(new URL('../../../shared/spin-corpus/', import.meta.url));

const APP = `
spin_manifest_version = 2

[application]
name = "shop"
version = "1.2.0"
authors = ["Someone <someone@example.com>"]
description = "A Spin app"
[application.trigger.http]
base = "/shop"

[variables]
api_host = { default = "api.example.com" }
token = { required = true, secret = true }

[[trigger.http]]
route = "/items/..."
component = "items"

[[trigger.http]]
route = "/"
component = { source = "home.wasm" }

[[trigger.http]]
route = { private = true }
component = "internal"

[[trigger.redis]]
channel = "orders"
component = "items"

[[trigger.cron]]
cron_expression = "0 */5 * * * *"
component = "items"

[component.items]
source = "items.wasm"
environment = { MODE = "test" }
allowed_outbound_hosts = ["https://{{ api_host }}", "redis://cache:6379"]
key_value_stores = ["default"]
sqlite_databases = ["default"]
files = ["static/**/*", { source = "data", destination = "/data" }]
exclude_files = ["static/**/*.bak"]
[component.items.variables]
token = "{{ token }}"
[component.items.build]
command = "cargo build --release"
watch = ["src/**/*.rs"]
[component.items.tool.spin-test]
source = "tests.wasm"

[component.internal]
source = "internal.wasm"
`;

let dir: string;
let file: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spindle-spin-manifest-'));
  file = join(dir, 'spin.toml');
  for (const wasm of ['items.wasm', 'home.wasm', 'internal.wasm']) await writeFile(join(dir, wasm), 'not read here');
  await mkdir(join(dir, 'static', 'css'), { recursive: true });
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'static', 'index.html'), '<p>hi</p>');
  await writeFile(join(dir, 'static', 'css', 'site.css'), 'p {}');
  await writeFile(join(dir, 'static', 'old.bak'), 'excluded');
  await writeFile(join(dir, 'data', 'stock.json'), '{}');
  await writeFile(file, APP);
});

const problems = (text: string) => manifestProblems(text, file);

const minimal = (extra: string) => `spin_manifest_version = 2
[application]
name = "app"
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "items.wasm"
${extra}`;

describe('spin.toml', () => {
  it('loads into the manifest model: routes under base, inline components, redis, cron, grants and files', async () => {
    const { manifest, warnings } = await parseManifest(APP, file);
    assert.deepEqual(manifest.application, { name: 'shop', version: '1.2.0', description: 'A Spin app' });
    assert.deepEqual(
      manifest.trigger.http.map((t) => [t.route, t.component]),
      [['/shop/items/...', 'items'], ['/shop', 'http-trigger-1']],
    );
    assert.deepEqual(manifest.trigger.redis, [{ channel: 'orders', component: 'items' }]);
    assert.deepEqual(manifest.trigger.cron, [{ schedule: '0 */5 * * * *', component: 'items' }]);
    assert.deepEqual(Object.keys(manifest.component).sort(), ['http-trigger-1', 'internal', 'items']);
    assert.equal(manifest.component['http-trigger-1']!.source, join(dir, 'home.wasm'));

    const items = manifest.component.items!;
    assert.equal(items.isolation, 'per-event', 'Spin gives every request a fresh instance');
    assert.deepEqual(items.environment, { MODE: 'test' });
    assert.deepEqual(items.allowed_outbound_hosts, ['https://{{ api_host }}', 'redis://cache:6379']);
    assert.deepEqual(items.key_value_stores, ['default']);
    assert.deepEqual(items.sqlite_databases, ['default']);
    assert.deepEqual(items.variables, { token: '{{ token }}' });
    assert.deepEqual(
      items.files.map((f) => [f.source, f.destination]).sort(),
      [
        [join(dir, 'data/stock.json'), '/data/stock.json'],
        [join(dir, 'static/css/site.css'), '/static/css/site.css'],
        [join(dir, 'static/index.html'), '/static/index.html'],
      ],
    );
    assert.deepEqual(manifest.variables.token, { required: true, secret: true });
    assert.equal(manifest.runtime.mode, 'embedded', 'no Redis address: messages stay in process');

    assert.deepEqual(
      warnings.map((w) => w.path),
      ['trigger.http[2].route', 'component.items.build'],
    );
  });

  it('subscribes to the Redis at application.trigger.redis.address', async () => {
    const { manifest } = await parseManifest(
      minimal('').replace('[[trigger.http]]', '[application.trigger.redis]\naddress = "redis://cache:6380/2"\n[[trigger.redis]]\nchannel = "x"\ncomponent = "c"\n[[trigger.http]]'),
      file,
    );
    assert.equal(manifest.runtime.mode, 'redis');
    assert.equal(manifest.runtime.redis_url, 'redis://cache:6380/2');
  });

  it('refuses what Spindle cannot do, naming the Spin field and why', async () => {
    const found = await problems(`spin_manifest_version = 2
[application]
name = "app"
[application.trigger.redis]
address = "redis://one:6379"
[[trigger.http]]
route = "/..."
executor = { type = "wagi" }
component = "c"
[[trigger.http]]
route = "/x"
static_response = { body = "hi" }
[[trigger.redis]]
channel = "a"
address = "redis://two:6379"
component = "c"
[[trigger.mqtt]]
topic = "t"
component = "c"
[component.c]
source = { url = "https://example.com/c.wasm", digest = "sha256:00" }
ai_models = ["llama2-chat"]
colour = "blue"
`);
    const byPath = new Map(found.map((line) => [line.slice(0, line.indexOf(': ')), line]));
    for (const [path, why] of [
      ['trigger.http[0].executor', /WAGI/],
      ['trigger.http[1].static_response', /static responses/],
      ['trigger.redis[0].address', /one Redis per app/],
      ['trigger.mqtt', /no "mqtt" trigger/],
      ['component.c.source', /download/],
      ['component.c.ai_models', /LLM/],
      ['component.c.colour', /not a Spin manifest field/],
    ] as const) {
      assert.match(byPath.get(path) ?? `nothing at ${path} in ${found.join('\n')}`, why);
    }
  });

  it('reads component dependencies in Spin\'s syntax, and refuses one that needs a download', async () => {
    const deps = minimal(`dependencies_inherit_configuration = true
[component.c.dependencies]
"acme:text/render@0.1.0" = { path = "items.wasm" }
"acme:db" = { component = "d", export = "acme:store/db" }
[component.d]
source = "items.wasm"
`);
    const { manifest } = await parseManifest(deps, file);
    const c = manifest.component.c!;
    assert.equal(c.dependencies_inherit_configuration, true);
    assert.deepEqual(Object.keys(c.dependencies).sort(), ['acme:db', 'acme:text/render@0.1.0']);
    assert.equal(c.dependencies['acme:db']!.component, 'd');
    const found = await problems(deps.replace('{ component = "d", export = "acme:store/db" }', '{ version = "1.0.0", registry = "example.com" }'));
    assert.ok(found.some((p) => p.startsWith('component.c.dependencies."acme:db": ') && /download/.test(p)), found.join('\n'));
  });

  it('reports the schema\'s problems at the Spin field they came from', async () => {
    const found = await problems(
      minimal('[[trigger.cron]]\ncron_expression = "every day"\ncomponent = "c"\n').replace('route = "/..."', 'route = "/a/.../b"'),
    );
    assert.ok(found.some((p) => p.startsWith('trigger.cron[0].cron_expression: ')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('trigger.http[0].route: ')), found.join('\n'));
  });

  it('reads version 1 as Spin does, reporting problems at the version 1 fields', async () => {
    const v1 = `spin_version = "1"
name = "legacy"
version = "1.0.0"
trigger = { type = "http", base = "/old" }
[variables]
object = { default = "teapot" }
[[component]]
id = "hello"
source = "items.wasm"
allowed_http_hosts = ["api.example.com", "https://other.example.com"]
[component.trigger]
route = "/hello/..."
[component.config]
message = "I'm a {{ object }}"
`;
    const { manifest } = await parseManifest(v1, file);
    assert.deepEqual(manifest.trigger.http, [{ route: '/old/hello/...', component: 'hello' }]);
    const hello = manifest.component.hello!;
    assert.deepEqual(hello.variables, { message: "I'm a {{ object }}" });
    assert.deepEqual(hello.allowed_outbound_hosts, ['http://api.example.com', 'https://api.example.com', 'https://other.example.com']);
    assert.deepEqual(await problems(v1.replace('source = "items.wasm"', 'source = "items.wasm"\nai_models = ["llama2-chat"]')), [
      'component[0].ai_models: Spindle serves no LLM models',
    ]);
    assert.deepEqual(await problems(v1.replace('route = "/hello/..."', 'route = "/a/.../b"')).then((p) => p.map((line) => line.split(':')[0])), ['component[0].trigger.route']);
  });

  it('refuses a template, an unknown manifest version and an undeclared variable in an outbound host', async () => {
    assert.match((await problems('spin_manifest_version = 2\n[application]\nname = "{{project-name}}"\n'))[0]!, /^application\.name: .*spin new/);
    assert.match((await problems('spin_manifest_version = 3\n'))[0]!, /^spin_manifest_version: expected Spin manifest version 1 or 2, got 3/);
    assert.deepEqual(await problems(minimal('allowed_outbound_hosts = ["mysql://{{ db_host }}:3306"]')), [
      'component.c.allowed_outbound_hosts[0]: refers to undeclared variable "db_host"',
    ]);
  });

  it('is read by spindle validate, which refuses a bad one without a stack trace', async () => {
    const ok = await spindle('validate', file);
    assert.match(ok.stdout, /ok — 3 components/);
    const bad = join(dir, 'bad', 'spin.toml');
    await mkdir(join(dir, 'bad'));
    await writeFile(bad, minimal('').replace('route = "/..."', 'route = "/..."\nexecutor = { type = "wagi" }'));
    const refused = await failing('validate', bad);
    assert.match(refused.stderr, /trigger\.http\[0\]\.executor: WAGI/);
  });

  // The corpus is data kept beside the project, not in it: a checkout without it says so as a
  // skipped test, named in the runner's summary, rather than failing for want of data.
  const corpusMissing = existsSync(CORPUS) ? false : `Spin's manifests are expected in ${CORPUS}; set SPIN_CORPUS to where they are`;
  it('loads every manifest of Spin\'s repository, or refuses it field by field', { skip: corpusMissing }, async () => {
    const names = (await readdir(CORPUS)).filter((name) =>
      name.endsWith('.toml'),
    );
    assert.ok(names.length >= 60, `${names.length} manifests in ${CORPUS}`);
    const loaded: string[] = [];
    for (const name of names) {
      try {
        await loadManifest(join(CORPUS, name));
        loaded.push(name);
      } catch (err) {
        assert.ok(err instanceof ManifestError, `${name}: expected a ManifestError, got ${err instanceof Error ? err.stack : err}`);
        assert.ok(err.problems.length > 0, name);
        const refusals = err.problems.filter((p) => !/^component file not found: .*\.wasm|%\{source=/.test(p.message));
        if (refusals.length === 0) loaded.push(name);
        for (const p of refusals) {
          assert.ok(p.path !== '' && p.message.length > 10, `${name}: a refusal names a field and why: ${JSON.stringify(p)}`);
          assert.doesNotMatch(p.message, /\n\s+at |undefined|\[object/, `${name}: ${p.message}`);
        }
      }
    }
    const expected = [
      'tests__testcases__http-routing.toml',
      'tests__runtime-tests__tests__wasi-key-value.toml',
      'examples__http-rust.toml',
      'tests__testcases__legacy-apps-test.toml',
      'tests__runtime-tests__tests__variables.toml',
    ];
    for (const name of expected) assert.ok(loaded.includes(name), `${name} loads`);
    assert.ok(loaded.length >= 30, `${loaded.length} of ${names.length} load`);
  });
});
