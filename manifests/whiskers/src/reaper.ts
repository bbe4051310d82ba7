// Every tick: sessions older than session_max_age seconds go, with their score cards.
// Recorded games stay in the top ten.
import { kv, log, onTick, variable } from 'spindle/sdk';
import type { Session } from './game.js';

export const handle = onTick(() => {
  const maxAgeMs = Number(variable('session_max_age')) * 1000;
  let expired = 0;
  for (const key of kv.listKeys('sessions', 'session:')) {
    const session = kv.getJson<Session>('sessions', key);
    if (session && Date.now() - session.started <= maxAgeMs) continue;
    const id = key.slice('session:'.length);
    kv.delete('sessions', key);
    for (const card of [`score:${id}`, `clicks:${id}`, `game:${id}`, ...kv.listKeys('scores', `seen:${id}:`)]) kv.delete('scores', card);
    expired += 1;
  }
  if (expired > 0) log.info(`expired ${expired} session${expired === 1 ? '' : 's'}`);
});
