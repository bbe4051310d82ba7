/**
 * Job data on Redis that only looks like Spindle's: a plain BullMQ producer's JSON reaches the
 * guest as the JSON it is, whatever its shape, while bytes a guest enqueues come back intact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { buildComponents } from '../../src/build/build.js';
import { loadManifest } from '../../src/app-manifest.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/js/spindle.toml', import.meta.url));
const CAPABILITIES = join(fileURLToPath(new URL('../../../test/fixtures/js/', import.meta.url)), 'build', 'capabilities.wasm');

const manifest = `
spindle_manifest_version = 1
[application]
name = "job-data"

[[trigger.queue]]
queue = "inbox"
component = "echo"

[[trigger.http]]
route = "/producer"
component = "producer"

[component.echo]
source = "echo.wasm"

[component.producer]
source = "${CAPABILITIES}"
enqueue_queues = ["inbox"]
`;

describe('job data on Redis', () => {
  let redis: TestRedis;
  let t: TestApp;
  let plain: Queue;
  const received = (jobId: string) =>
    waitFor(() => t.events.find((e) => e.event.subject === jobId), 10_000, `job ${jobId} to reach the guest`).then((e) => e.event.data);

  before(async () => {
    await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
    redis = await startRedis();
    t = await startTestApp({ manifest, wat: ['echo'], workers: 1, redis: redis.url });
    plain = new Queue('inbox', { connection: { host: '127.0.0.1', port: redis.port } });
  });
  after(async () => {
    await plain?.close();
    await t?.stop();
    await redis?.stop();
  });

  it('hands a plain producer\'s job that looks like the byte wrapper to the guest as that JSON', async () => {
    const job = await plain.add('anything', { spindle_bytes: 'aGk=' });
    assert.equal(new TextDecoder().decode(await received(job.id!)), '{"spindle_bytes":"aGk="}');
    const done = await waitFor(async () => (await t.app.broker.completedJobs('inbox')).find((j) => j.id === job.id));
    assert.equal(new TextDecoder().decode(done.returnValue), '{"spindle_bytes":"aGk="}', 'the echoed reply reads back as given');
  });

  it('hands a plain producer\'s string to the guest as a JSON string, not as base64', async () => {
    const job = await plain.add('anything', 'aGk=');
    assert.equal(new TextDecoder().decode(await received(job.id!)), '"aGk="');
  });

  it('round-trips bytes that are not UTF-8 from a guest to a guest, marked by the job name', async () => {
    const bytes = [0xff, 0x00, 0xfe, 0x80, 0x7b];
    const res = await fetch(`${t.url}/producer`, { method: 'POST', body: JSON.stringify({ op: 'enqueue', queue: 'inbox', bytes, jobId: 'raw-1' }) });
    assert.deepEqual(await res.json(), { ok: 'raw-1' });
    assert.deepEqual([...(await received('raw-1'))], bytes);
    assert.equal((await plain.getJob('raw-1'))?.name, 'spindle.bytes');
  });
});
