/**
 * Spin's guest worlds recognised at load and run by their triggers, started from a `spin.toml`:
 * a component exporting `fermyon:spin/inbound-redis` gets each message on its channel, one
 * exporting the cron plugin's `handle-cron-event` runs on its schedule, and an `err` from
 * either fails the event as `give-up`, logged with the component and event id.
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

/** The Spin cron trigger plugin's world, as `fermyon:spin-cron@2.0.0` declares it. */
const SPIN_CRON_WIT = `
package fermyon:spin-cron@2.0.0 {
  interface cron-types {
    record metadata { timestamp: u64 }
    variant error { other(string) }
  }
}

world spin-cron-test {
  use fermyon:spin-cron/cron-types@2.0.0.{metadata, error};
  export handle-cron-event: func(metadata: metadata) -> result<_, error>;
}
`;

/** err(other("bad clock")) from handle-cron-event. */
const CRON_ERR = `
    (i32.store8 (i32.const 512) (i32.const 1))
    (i32.store8 (i32.const 516) (i32.const 0))
    (i32.store (i32.const 520) (i32.const 128))
    (i32.store (i32.const 524) (i32.const 9))`;

/**
 * handle-cron-event answering `err` when `failWhen` (WAT over the i64 $timestamp) holds. The
 * healthy one fails on a time that is not Unix seconds from 2020 to 2100.
 */
const cronHandler = (failWhen: string) => `
  (data (i32.const 128) "bad clock")
  (func (export "handle-cron-event") (param $timestamp i64) (result i32)
    (i32.store8 (i32.const 512) (i32.const 0))
    (if ${failWhen} (then ${CRON_ERR}))
    (i32.const 512))
`;
const CRON_HANDLER = cronHandler('(i32.or (i64.lt_u (local.get $timestamp) (i64.const 1577836800)) (i64.gt_u (local.get $timestamp) (i64.const 4102444800)))');
const FAILING_CRON_HANDLER = cronHandler('(i32.const 1)');

const CRON_TOML = `spin_manifest_version = 2

[application]
name = "spin-cron"

[[trigger.cron]]
cron_expression = "* * * * * *"
component = "tick"

[[trigger.cron]]
cron_expression = "* * * * * *"
component = "failing"

[component.tick]
source = "tick.wasm"

[component.failing]
source = "failing.wasm"
`;

/** An app started from `toml` with `components` (file name → bytes) beside it, observed. */
function spinApp(toml: string, components: () => Promise<Record<string, Uint8Array>>) {
  const observed = { app: undefined as unknown as App, events: [] as ObservedEvent[], logs: [] as Array<Record<string, unknown>> };
  let dir: string;
  before(async () => {
    dir = await makeAppDir({});
    for (const [file, bytes] of Object.entries(await components())) await writeFile(join(dir, file), bytes);
    await writeFile(join(dir, 'spin.toml'), toml);
    observed.app = await startApp(await loadManifest(join(dir, 'spin.toml')), {
      logger: collectingLogger(observed.logs),
      onEvent: (component, event, outcome) => observed.events.push({ component, event, outcome }),
    });
  });
  after(async () => {
    await observed.app?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return observed;
}

describe('Spin cron world', () => {
  const { events, logs } = spinApp(CRON_TOML, async () => ({
    'tick.wasm': await buildWatComponentFor(CRON_HANDLER, 'spin-cron-test', SPIN_CRON_WIT),
    'failing.wasm': await buildWatComponentFor(FAILING_CRON_HANDLER, 'spin-cron-test', SPIN_CRON_WIT),
  }));

  it('runs handle-cron-event on schedule with the scheduled time, and fails an err as give-up', async () => {
    const tick = await waitFor(() => events.find((e) => e.component === 'tick'), 10_000, 'a tick');
    assert.equal(result(tick), 'ok', 'the guest saw a timestamp in Unix seconds');
    const failed = await waitFor(() => events.find((e) => e.component === 'failing'), 10_000, 'a failing tick');
    assert.equal(result(failed), 'give-up');
    assert.ok(!failed.outcome.ok && failed.outcome.failure.message.includes('bad clock'));
    await waitFor(() => logs.find((l) => l.failure === 'give-up' && l.eventId === failed.event.id && l.component === 'failing'), 5_000, 'the failure logged');
  });
});

describe('Spin Redis world', () => {
  const observed = spinApp(SPIN_TOML, async () => ({ 'redis.wasm': await buildWatComponentFor(REDIS_HANDLER, 'spin-redis-test', SPIN_REDIS_WIT) }));
  const { events, logs } = observed;

  it('delivers each message to every component on the channel through handle-message', async () => {
    await observed.app.broker.publish('messages', new TextEncoder().encode('hello'));
    await waitFor(() => events.length >= 2, 10_000, 'both components handle the message');
    assert.deepEqual(events.map((e) => [e.component, result(e)]).sort(), [['first', 'ok'], ['second', 'ok']]);
  });

  it('fails a message whose handler returns err as give-up, logged with component and event id', async () => {
    events.length = 0;
    await observed.app.broker.publish('messages', new TextEncoder().encode('!boom'));
    await waitFor(() => events.length >= 2, 10_000, 'both components handle the message');
    assert.deepEqual(events.map((e) => result(e)), ['give-up', 'give-up']);
    const failed = events[0]!;
    await waitFor(() => logs.find((l) => l.failure === 'give-up' && l.eventId === failed.event.id && l.component === failed.component), 5_000, 'the failure logged');
  });
});

describe('Spin worlds and their triggers', () => {
  it('refuses at start-up a Spin handler bound to a trigger its world cannot take', async () => {
    const dir = await makeAppDir({});
    try {
      await writeFile(join(dir, 'redis.wasm'), await buildWatComponentFor(REDIS_HANDLER, 'spin-redis-test', SPIN_REDIS_WIT));
      await writeFile(
        join(dir, 'spin.toml'),
        SPIN_TOML.replace('[[trigger.redis]]\nchannel = "messages"\ncomponent = "second"', '[[trigger.http]]\nroute = "/..."\ncomponent = "second"'),
      );
      await assert.rejects(
        startApp(await loadManifest(join(dir, 'spin.toml')), { logger: collectingLogger([]) }),
        (err: Error) => err.name === 'ComponentLoadError' && /trigger\.http\[0\]: component "second" exports Spin's Redis handler .* only redis triggers/.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
