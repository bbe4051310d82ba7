import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, it } from 'node:test';
import type { SpindleEvent } from '../src/event.js';
import { packEvents, unpackEvents, type EventBatch, type RunRequest } from '../src/executor/pool/event-batch.js';

const bytes = (text: string) => new TextEncoder().encode(text);

const requests: RunRequest[] = [
  { component: 'bare', event: { id: 'a', source: '/s', type: 't', data: new Uint8Array(0), attributes: [] } },
  {
    component: 'full',
    event: {
      id: 'b',
      source: '/spindle/redis/café',
      type: 'spindle.redis.message',
      subject: 'snow ☃ \u{1F600}',
      time: '2026-11-25T18:00:00.000Z',
      datacontenttype: 'application/json',
      data: bytes('{"a":1}'),
      attributes: [['redis.channel', 'café'], ['dup', '1'], ['dup', ''], ['', 'empty name']],
    },
  },
  // A view into a larger buffer: only its own bytes cross.
  { component: 'view', event: { id: 'c', source: '/s', type: 't', data: Buffer.from('0123456789').subarray(3, 6), attributes: [] } },
  { component: 'big', event: { id: 'd', source: '/s', type: 't', data: Uint8Array.from({ length: 70_000 }, (_, i) => i % 256), attributes: Array.from({ length: 1_000 }, (_, i): [string, string] => [`k${i}`, `v${i}`]) } },
];

function plain({ component, event }: RunRequest): unknown {
  return { component, event: { ...event, data: [...event.data] } };
}

describe('events packed for one message', () => {
  it('come out as they went in, in order, optional fields absent where they were', () => {
    const out = unpackEvents(packEvents(requests));
    assert.deepEqual(out.map(plain), requests.map(plain));
    const bare: SpindleEvent = out[0]!.event;
    assert.deepEqual(['subject', 'time', 'datacontenttype'].filter((key) => key in bare), []);
  });

  it('cross a port with their bodies moved in one buffer, not copied', () => {
    const batch = packEvents(requests);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(batch, [batch.bodies]);
    assert.equal(batch.bodies.byteLength, 0, 'the buffer moved');
    const received = receiveMessageOnPort(port2)!.message as EventBatch;
    port1.close();
    const out = unpackEvents(received);
    assert.deepEqual(out.map(plain), requests.map(plain));
    assert.ok(out.every((r) => r.event.data.buffer === received.bodies), 'every body is a view of the one buffer');
    assert.equal(received.bodies.byteLength, 3 + 7 + 70_000);
  });
});
