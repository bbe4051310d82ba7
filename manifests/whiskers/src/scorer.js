// Each click on whiskers.tally: one more click on the session's card, and one more point when
// the cat got the food it wanted. In redis mode every process subscribed receives every click,
// so the first increment of the click's own key decides which one counts it: increments are
// atomic across processes, and only one of them sees 1.
import { increment } from 'spindle:app/key-value@0.1.0';
import { log } from 'spindle:app/log@0.1.0';
import { DONE, bodyJson } from './lib.js';

export function handle(event) {
  const click = bodyJson(event);
  if (!click?.session || !click.click) {
    log('warn', 'a tally without a session or click id');
    return DONE;
  }
  if (increment('scores', `seen:${click.session}:${click.click}`, 1n) !== 1n) return DONE;
  if (click.food === click.wanted) increment('scores', `score:${click.session}`, 1n);
  increment('scores', `clicks:${click.session}`, 1n);
  return DONE;
}
