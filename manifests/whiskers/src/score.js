// GET /score/:id: the session's score card, and whether the game is recorded.
import { attributes, getJson, getNumber, isSessionId, json, problem } from './lib.js';

export function handle(event) {
  const id = attributes(event)['http.param.id'];
  if (!isSessionId(id)) return problem(400, 'expected /score/<session id>');
  const game = getJson('scores', `game:${id}`);
  return json(200, {
    session: id,
    score: getNumber('scores', `score:${id}`),
    clicks: getNumber('scores', `clicks:${id}`),
    recorded: game !== undefined,
    ...(game ? { name: game.name } : {}),
  });
}
