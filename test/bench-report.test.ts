import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrk } from '../bench/lib/load.js';
import { foldRuns, ratioAtLeast, targetMet, toMarkdown, valueAtMost, type Row } from '../bench/lib/report.js';

const WRK_REPORT = `Running 5s test @ http://127.0.0.1:45235/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.26ms    9.57ms 132.31ms   96.27%
    Req/Sec    19.14k     7.65k   38.84k    70.00%
  Latency Distribution
     50%  812.00us
     75%    4.21ms
     90%    7.70ms
     99%    1.02s
  38369 requests in 2.02s, 4.90MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:  18984.18
Transfer/sec:      2.43MB
`;

test("wrk's report reads as requests/s, latency in ms and every kind of error", () => {
  assert.deepEqual(parseWrk(WRK_REPORT), { rps: 18984.18, p50: 0.812, p99: 1020, errors: 12 });
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /cannot read wrk's report/);
});

const run = (plain: number, spindle: number): Row[] => {
  const baseline: Row = { group: 'HTTP', name: 'plain', value: plain, unit: 'req/s' };
  return [baseline, { group: 'HTTP', name: 'spindle', value: spindle, unit: 'req/s', detail: `run at ${spindle}`, ratio: { against: 'plain', value: spindle / plain }, target: ratioAtLeast(0.5, '≥ 0.5×') }];
};

test('runs fold into the median figure and ratio of each row, with their ranges', () => {
  // The ratio's median comes from the ratios of each run, not from the median figures.
  const [plain, spindle] = foldRuns([run(100, 40), run(200, 120), run(150, 60)]);
  assert.equal(plain!.value, 150);
  assert.deepEqual(plain!.range, [100, 200]);
  assert.equal(spindle!.value, 60);
  assert.deepEqual(spindle!.range, [40, 120]);
  assert.equal(spindle!.ratio!.value, 0.4);
  assert.deepEqual(spindle!.ratio!.range, [0.4, 0.6]);
  assert.equal(spindle!.detail, 'run at 60');
  assert.equal(targetMet(spindle!), false);
  assert.match(toMarkdown([spindle!]), /\| 60\.0 req\/s \(40\.0–120\) \| run at 60 \| 0\.40× plain \(0\.40–0\.60\) \| ≥ 0\.5× ❌ \|/);
});

test('a run without a figure is left out of the median and named in the row', () => {
  const lostRun: Row[] = [{ group: 'pub/sub', name: 'spindle', value: Number.NaN, unit: 'msgs/s', missing: 'no rate: messages were lost' }];
  const ok = (value: number): Row[] => [{ group: 'pub/sub', name: 'spindle', value, unit: 'msgs/s', target: valueAtMost(10, '≤ 10') }];
  const [folded] = foldRuns([ok(8), lostRun, ok(12)]);
  assert.equal(folded!.value, 10);
  assert.equal(targetMet(folded!), true);
  assert.match(folded!.detail!, /1 of 3 runs had no figure: no rate: messages were lost/);
  const [none] = foldRuns([lostRun, lostRun]);
  assert.match(toMarkdown([none!]), /\| — \| no rate: messages were lost \|/);
});
