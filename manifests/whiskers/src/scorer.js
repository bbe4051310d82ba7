// Each click on whiskers.tally: one more click on the session's card, and one more point when
// the cat got the food it wanted. Increments are atomic, whichever process counts.
import { increment } from 'spindle:app/key-value@0.1.0';
import { log } from 'spindle:app/log@0.1.0';
import { DONE, bodyJson } from './lib.js';

export function handle(event) {
  const click = bodyJson(event);
  if (!click?.session) {
    log('warn', 'a tally without a session');
    return DONE;
  }
  if (click.food === click.wanted) increment('scores', `score:${click.session}`, 1n);
  increment('scores', `clicks:${click.session}`, 1n);
  return DONE;
}
