// Makes `n` calls of one capability in a row and answers with how many succeeded.
import { get, increment } from 'spindle:app/key-value@0.1.0';

const CALLS = {
  increment: () => increment('bench', 'counter', 1n),
  get: () => get('bench', 'counter'),
};

export async function handle(event) {
  const { op, n, url } = JSON.parse(new TextDecoder().decode(event.data));
  let done = 0;
  for (let i = 0; i < n; i++) {
    if (op === 'fetch') await (await fetch(url)).arrayBuffer();
    else CALLS[op]();
    done += 1;
  }
  return { status: 200, headers: [], body: new TextEncoder().encode(String(done)) };
}
