// A finished game from the "games" queue. Its clicks travel through pub/sub and may still be
// on their way: until the card has counted them all the job asks to be retried, and on its
// last attempt it records what was counted. Then the game enters the high scores.
import { GiveUp, RetryLater, json, kv, log, onJob } from 'spindle/sdk';
import { bodyOf, type Game } from './game.js';
import { HIGHSCORE_PREFIX, pruneHighscores } from './highscores.js';

const count = (key: string) => Number(kv.getText('scores', key) ?? 0);

export const handle = onJob((event) => {
  const game = bodyOf<{ session: string; name: string; clicks: number }>(event);
  if (!game?.session) throw new GiveUp('a game without a session');
  const clicks = Number(game.clicks);
  const counted = count(`clicks:${game.session}`);
  if (counted < clicks && !event.queue.lastAttempt) throw new RetryLater(`${counted} of ${clicks} clicks counted so far`);
  if (counted < clicks) log.warn(`recording game ${game.session} with ${counted} of ${clicks} clicks counted`);

  const record: Game = { session: game.session, name: String(game.name), score: count(`score:${game.session}`), at: new Date().toISOString() };
  kv.set('highscores', `${HIGHSCORE_PREFIX}${game.session}`, record);
  pruneHighscores();
  kv.set('scores', `game:${game.session}`, record);
  log.info(`recorded ${record.name}: ${record.score}`);
  return json(200, record);
});
