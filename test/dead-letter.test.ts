/**
 * Dead-letter queues for triggers that cannot retry: a failed pub/sub message or cron tick
 * becomes a job on the queue its trigger names, carrying the failure and the data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, waitFor, type TestApp } from './support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "letters"
[[trigger.redis]]
channel = "orders"
component = "broken"
dead_letter_queue = "dead"
[[trigger.redis]]
channel = "fine"
component = "hello"
dead_letter_queue = "dead"
[[trigger.cron]]
schedule = "* * * * * *"
component = "broken-ticker"
dead_letter_queue = "dead"
[[trigger.queue]]
queue = "dead"
component = "inspector"
[component.broken]
source = "trap.wasm"
[component.broken-ticker]
source = "trap.wasm"
[component.hello]
source = "hello.wasm"
[component.inspector]
source = "echo.wasm"
`;

describe('dead-letter queues', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ manifest: MANIFEST, wat: ['trap', 'hello', 'echo'], workers: 1 });
  });
  after(() => t?.stop());

  const letters = () =>
    t.events.filter((e) => e.component === 'inspector').map((e) => JSON.parse(new TextDecoder().decode(e.event.data)) as Record<string, unknown>);

  it('sends each failed pub/sub message and cron tick to the queue its trigger names, and nothing that succeeded', async () => {
    await t.app.broker.publish('fine', new TextEncoder().encode('all good'));
    await t.app.broker.publish('orders', new TextEncoder().encode('{"order":7}'));
    await t.app.broker.publish('orders', new Uint8Array([0xff, 0x00, 0xfe]));
    const seen = await waitFor(() => {
      const all = letters();
      return all.filter((l) => l.source === '/spindle/redis/orders').length === 2 && all.some((l) => l.type === 'spindle.cron.tick') ? all : undefined;
    }, 10_000, 'two pub/sub letters and a cron one');

    const [text, binary] = seen.filter((l) => l.source === '/spindle/redis/orders');
    assert.equal(text!.component, 'broken');
    assert.equal(text!.subject, 'orders');
    assert.deepEqual((text!.failure as { kind: string }).kind, 'trap');
    assert.equal(text!.data, '{"order":7}');
    assert.equal(binary!.data_base64, Buffer.from([0xff, 0x00, 0xfe]).toString('base64'));
    const failedIds = t.events.filter((e) => e.component === 'broken').map((e) => e.event.id);
    assert.deepEqual([text!.eventId, binary!.eventId].sort(), failedIds.sort(), 'each letter names the event that failed');

    const tick = seen.find((l) => l.type === 'spindle.cron.tick')!;
    assert.equal(tick.component, 'broken-ticker');
    assert.equal(tick.subject, '* * * * * *');
    assert.ok(t.events.some((e) => e.component === 'hello'), 'the good message ran');
    assert.ok(!seen.some((l) => l.source === '/spindle/redis/fine'), 'a message that succeeded sends no letter');
  });
});
