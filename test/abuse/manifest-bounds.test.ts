/**
 * A careless manifest is refused by `validate`, every problem named by its field and the bound
 * it broke, instead of starting and misbehaving later.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifest } from '../../src/app-manifest.js';
import { ManifestError } from '../../src/errors.js';

async function problems(body: string): Promise<string[]> {
  const text = `spindle_manifest_version = 1\n[application]\nname = "careless"\n${body}`;
  try {
    await parseManifest(text, 'spindle.toml', { checkSources: false });
  } catch (err) {
    assert.ok(err instanceof ManifestError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

const component = (fields: string) => `[component.c]\nsource = "c.wasm"\n${fields}\n`;

describe('manifest bounds', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a timeout past Node\'s timer limit', component('timeout = "600h"'), /component\.c\.timeout: "600h" is longer than the longest timer Node keeps/],
    ['an absurd timeout', component('timeout = 1e300'), /component\.c\.timeout: 1e\+300 is longer than the longest timer Node keeps/],
    ['an absurd overload_wait', component('overload_wait = "1000h"'), /component\.c\.overload_wait: "1000h" is longer than the longest timer/],
    ['an absurd drain_timeout', '[runtime]\ndrain_timeout = 1e300\n' + component(''), /runtime\.drain_timeout: 1e\+300 is longer/],
    ['1000 GiB of memory', component('memory = "1000GiB"'), /component\.c\.memory: "1000GiB" is above the most allowed here, 4GiB/],
    ['an absurd body size', '[runtime]\nmax_body_size = 1e300\n' + component(''), /runtime\.max_body_size: 1e\+300 is above the most allowed here, 1GiB/],
    ['a Redis URL that is not a URL', '[runtime]\nmode = "redis"\nredis_url = "localhost"\n' + component(''), /runtime\.redis_url: expected a Redis URL/],
    ['an http:// Redis URL', '[runtime]\nredis_url = "http://127.0.0.1:6379"\n' + component(''), /runtime\.redis_url: expected a Redis URL/],
    ['a bad Redis port', '[runtime]\nredis_url = "redis://127.0.0.1:99999"\n' + component(''), /runtime\.redis_url: expected a Redis URL/],
    ['a non-numeric Redis database', '[runtime]\nredis_url = "redis://127.0.0.1:6379/main"\n' + component(''), /runtime\.redis_url: expected a Redis URL/],
    ['a listen port above 65535', '[runtime]\nlisten = "127.0.0.1:99999"\n[[trigger.http]]\nroute = "/"\ncomponent = "c"\n' + component(''), /runtime\.listen: invalid listen address "127\.0\.0\.1:99999": port 99999 is above 65535/],
    ['a route with a query', '[[trigger.http]]\nroute = "/search?q"\ncomponent = "c"\n' + component(''), /trigger\.http\[0\]\.route: invalid route "\/search\?q"/],
    ['a route with ".."', '[[trigger.http]]\nroute = "/a/../b"\ncomponent = "c"\n' + component(''), /trigger\.http\[0\]\.route: invalid route "\/a\/\.\.\/b"/],
  ];
  for (const [what, body, expected] of cases) {
    it(`refuses ${what}`, async () => {
      const found = await problems(body);
      assert.ok(found.some((p) => expected.test(p)), `expected ${expected} among ${JSON.stringify(found)}`);
    });
  }

  it('accepts the largest values it allows', async () => {
    assert.deepEqual(
      await problems('[runtime]\nredis_url = "rediss://user:pw@redis.example:6380/2"\nmax_body_size = "1GiB"\ndrain_timeout = "576h"\n' + component('memory = "4GiB"\ntimeout = "576h"')),
      [],
    );
  });
});
