/**
 * Spin's guest worlds recognised at load and run by their triggers: a component exporting
 * `fermyon:spin/inbound-redis`, started from a `spin.toml`, gets each message on its channel,
 * and its `err` fails the event as `give-up` with the component and event id.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadManifest } from '../src/app-manifest.js';
import { startApp, type App } from '../src/app.js';
import { collectingLogger, makeAppDir, result, waitFor, type ObservedEvent } from './support/harness.js';
import { buildWatComponentFor } from './support/wat-components.js';

/** Spin's Redis trigger world, as `fermyon:spin` (unversioned) declares it. */
const SPIN_REDIS_WIT = `
package fermyon:spin {
  interface redis-types {
    enum error { success, error }
    type payload = list<u8>;
  }
  interface inbound-redis {
    use redis-types.{payload, error};
    handle-message: func(message: payload) -> result<_, error>;
  }
}

world spin-redis-test {
  export fermyon:spin/inbound-redis;
}
`;

/** handle-message: err(error::error) when the message starts with "!", else ok. */
const REDIS_HANDLER = `
  (func (export "fermyon:spin/inbound-redis#handle-message") (param $ptr i32) (param $len i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 0))
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0)) (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 33)))
      (then
        (i32.store8 (i32.const 512) (i32.const 1))
        (i32.store8 (i32.const 513) (i32.const 1))))
    (i32.const 512))
`;

const SPIN_TOML = `spin_manifest_version = 2

[application]
name = "spin-redis"

[[trigger.redis]]
channel = "messages"
component = "first"

[[trigger.redis]]
channel = "messages"
component = "second"

[component.first]
source = "redis.wasm"

[component.second]
source = "redis.wasm"
`;

describe('Spin guest worlds', () => {
  let dir: string;
  let app: App;
  const events: ObservedEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = await makeAppDir({});
    await writeFile(join(dir, 'redis.wasm'), await buildWatComponentFor(REDIS_HANDLER, 'spin-redis-test', SPIN_REDIS_WIT));
    await writeFile(join(dir, 'spin.toml'), SPIN_TOML);
    app = await startApp(await loadManifest(join(dir, 'spin.toml')), {
      logger: collectingLogger(logs),
      onEvent: (component, event, outcome) => events.push({ component, event, outcome }),
    });
  });

  after(async () => {
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers each message to every component on the channel through handle-message', async () => {
    await app.broker.publish('messages', new TextEncoder().encode('hello'));
    await waitFor(() => events.length >= 2, 10_000, 'both components handle the message');
    assert.deepEqual(events.map((e) => [e.component, result(e)]).sort(), [['first', 'ok'], ['second', 'ok']]);
  });

  it('fails a message whose handler returns err as give-up, logged with component and event id', async () => {
    events.length = 0;
    await app.broker.publish('messages', new TextEncoder().encode('!boom'));
    await waitFor(() => events.length >= 2, 10_000, 'both components handle the message');
    assert.deepEqual(events.map((e) => result(e)), ['give-up', 'give-up']);
    const failed = events[0]!;
    await waitFor(() => logs.find((l) => l.failure === 'give-up' && l.eventId === failed.event.id && l.component === failed.component), 5_000, 'the failure logged');
  });
});
