// Each click on whiskers.tally: one more click on the session's card, and one more point when
// the cat got the food it wanted. In redis mode every process subscribed receives every click,
// so the first increment of the click's own key decides which one counts it: increments are
// atomic across processes, and only one of them sees 1.
import { kv, log, onMessage } from 'spindle/sdk';
import { bodyOf } from './game.js';

interface Click {
  click: string;
  session: string;
  food: string;
  wanted: string;
}

export const handle = onMessage((event) => {
  const click = bodyOf<Click>(event);
  if (!click?.session || !click.click) {
    log.warn('a tally without a session or click id');
    return;
  }
  if (kv.increment('scores', `seen:${click.session}:${click.click}`) !== 1) return;
  if (click.food === click.wanted) kv.increment('scores', `score:${click.session}`);
  kv.increment('scores', `clicks:${click.session}`);
});
