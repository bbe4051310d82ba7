// Every tick: sessions older than session_max_age seconds go, with their score cards.
// Recorded games stay in the top ten.
import { delete as remove, listKeys } from 'spindle:app/key-value@0.1.0';
import { log } from 'spindle:app/log@0.1.0';
import { get as variable } from 'spindle:app/variables@0.1.0';
import { DONE, getJson } from './lib.js';

export function handle() {
  const maxAgeMs = Number(variable('session_max_age')) * 1000;
  let expired = 0;
  for (const key of listKeys('sessions', 'session:')) {
    const session = getJson('sessions', key);
    if (session && Date.now() - session.started <= maxAgeMs) continue;
    const id = key.slice('session:'.length);
    remove('sessions', key);
    for (const card of [`score:${id}`, `clicks:${id}`, `game:${id}`, ...listKeys('scores', `seen:${id}:`)]) remove('scores', card);
    expired += 1;
  }
  if (expired > 0) log('info', `expired ${expired} session${expired === 1 ? '' : 's'}`);
  return DONE;
}
