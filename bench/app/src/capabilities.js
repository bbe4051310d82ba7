// Makes `n` calls of one capability in a row and answers with how many succeeded; `get-timed`
// answers with each call's time in microseconds instead, for percentiles.
import { get, getMany, increment } from 'spindle:app/key-value@0.1.0';

/** What one get-many reads: as many keys as `KEYS_PER_GET_MANY` in bench/capabilities.ts. */
const MANY = Array.from({ length: 10 }, () => 'counter');

const CALLS = {
  increment: () => increment('bench', 'counter', 1n),
  get: () => get('bench', 'counter'),
  'get-many': () => getMany('bench', MANY),
};

export async function handle(event) {
  const { op, n, url } = JSON.parse(new TextDecoder().decode(event.data));
  if (op === 'get-timed') return answer(JSON.stringify(timedGets(n)));
  let done = 0;
  for (let i = 0; i < n; i++) {
    if (op === 'fetch') await (await fetch(url)).arrayBuffer();
    else CALLS[op]();
    done += 1;
  }
  return answer(String(done));
}

function timedGets(n) {
  const micros = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    get('bench', 'counter');
    micros.push(Math.round((performance.now() - started) * 1000));
  }
  return micros;
}

function answer(text) {
  return { status: 200, headers: [], body: new TextEncoder().encode(text) };
}
