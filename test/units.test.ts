import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outboundPolicy, parseHostPattern } from '../src/capabilities/outbound-hosts.js';
import { formatDuration, formatSize, parseDuration, parseSize } from '../src/manifest/units.js';

describe('durations and sizes', () => {
  it('parses the units the manifest allows', () => {
    assert.deepEqual(['250ms', '1.5s', '2m', '1h', 42, ' 3 s '].map(parseDuration), [250, 1500, 120_000, 3_600_000, 42, 3000]);
    assert.deepEqual(['64MiB', '512KiB', '1MB', '2gb', '10', 7].map(parseSize), [64 * 1024 ** 2, 512 * 1024, 1_000_000, 2e9, 10, 7]);
  });

  it('rejects what is not a quantity', () => {
    assert.deepEqual(['soon', '5 parsecs', '', '-1s', -5].map(parseDuration), [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(parseSize('lots'), undefined);
  });

  it('formats sizes for messages', () => {
    assert.deepEqual([1024, 64 * 1024 ** 2, 12_044_511, 100].map(formatSize), ['1KiB', '64MiB', '11.5MiB', '100B']);
  });

  it('formats durations for messages without rounding them', () => {
    assert.deepEqual([300, 5_000, 1_500, 1_234, 90_000, 7_200_000].map(formatDuration), ['300ms', '5s', '1.5s', '1234ms', '1.5m', '2h']);
  });
});

describe('allowed outbound hosts', () => {
  it('admits exactly the listed scheme, host and port', () => {
    const allow = outboundPolicy(['https://api.example.com', 'http://*.internal:8080', '*://wild.example:*']);
    assert.equal(allow('https', 'api.example.com'), true);
    assert.equal(allow('https', 'api.example.com:443'), true);
    assert.equal(allow('http', 'api.example.com'), false, 'scheme differs');
    assert.equal(allow('https', 'api.example.com:8443'), false, 'port differs');
    assert.equal(allow('https', 'evil.example.com'), false);
    assert.equal(allow('http', 'db.internal:8080'), true);
    assert.equal(allow('http', 'internal:8080'), false, 'a wildcard label needs a label');
    assert.equal(allow('ftp', 'wild.example:21'), true);
  });

  it('admits nothing when nothing is listed', () => {
    assert.equal(outboundPolicy([])('https', 'example.com'), false);
  });

  it('describes malformed entries', () => {
    assert.equal(parseHostPattern('example.com'), 'expected "scheme://host[:port]", got "example.com"');
    assert.equal(parseHostPattern('amqp://queue'), '"amqp://queue" needs a port: there is no default port for amqp');
    assert.deepEqual(parseHostPattern('redis://cache'), { scheme: 'redis', host: 'cache', port: '6379' }, 'Spin\'s default ports apply');
  });
});
