// GET /score/:id: the session's score card, and whether the game is recorded.
import { json, kv, onHttp } from 'spindle/sdk';
import { isSessionId, problem, type Game } from './game.js';

const count = (key: string) => Number(kv.getText('scores', key) ?? 0);

export const handle = onHttp((event) => {
  const id = event.http.params.id;
  if (!isSessionId(id)) return problem(400, 'expected /score/<session id>');
  const game = kv.getJson<Game>('scores', `game:${id}`);
  return json(200, {
    session: id,
    score: count(`score:${id}`),
    clicks: count(`clicks:${id}`),
    recorded: game !== undefined,
    ...(game ? { name: game.name } : {}),
  });
});
