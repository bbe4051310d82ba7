// A finished game from the "games" queue. Its clicks travel through pub/sub and may still be
// on their way: until the card has counted them all the job asks to be retried, and on its
// last attempt it records what was counted. Then the game enters the high scores.
import { log } from 'spindle:app/log@0.1.0';
import { attributes, bodyJson, getNumber, retryLater, setJson } from './lib.js';
import { HIGHSCORE_PREFIX, pruneHighscores } from './highscores.js';

export function handle(event) {
  const attrs = attributes(event);
  const game = bodyJson(event);
  if (!game?.session) return { tag: 'err', val: { tag: 'give-up', val: 'a game without a session' } };
  const counted = getNumber('scores', `clicks:${game.session}`);
  const lastAttempt = Number(attrs['queue.attempt']) >= Number(attrs['queue.attempts']);
  if (counted < game.clicks && !lastAttempt) return retryLater(`${counted} of ${game.clicks} clicks counted so far`);
  if (counted < game.clicks) log('warn', `recording game ${game.session} with ${counted} of ${game.clicks} clicks counted`);

  const score = getNumber('scores', `score:${game.session}`);
  const record = { session: game.session, name: game.name, score, at: new Date().toISOString() };
  setJson('highscores', `${HIGHSCORE_PREFIX}${game.session}`, record);
  pruneHighscores();
  setJson('scores', `game:${game.session}`, record);
  log('info', `recorded ${game.name}: ${score}`);
  return { headers: [], body: new TextEncoder().encode(JSON.stringify(record)) };
}
