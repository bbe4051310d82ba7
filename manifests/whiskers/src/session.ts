// POST /session starts a game: an id, the cat's menu and how long the game lasts.
// POST /session/:id/finish hands the finished game to the "games" queue to be recorded.
import { enqueue, json, kv, onHttp, variable, type HttpEvent } from 'spindle/sdk';
import { FOODS, bodyOf, isSessionId, problem, type Session } from './game.js';

export const handle = onHttp((event) => {
  if (event.http.method !== 'POST') return problem(405, 'use POST');
  const id = event.http.params.id;
  return id === undefined ? start(event) : finish(event, id);
});

function start(event: HttpEvent) {
  const id = event.id;
  // The menu comes from the session id's random hex digits: no two sessions alike.
  const length = Number(variable('menu_length'));
  const digits = id.replaceAll('-', '');
  const menu = Array.from({ length }, (_, i) => FOODS[parseInt(digits[i % digits.length]!, 16) % FOODS.length]!);
  const session: Session = { id, menu, seconds: Number(variable('game_seconds')), started: Date.now() };
  kv.set('sessions', `session:${id}`, session);
  return json(201, session);
}

function finish(event: HttpEvent, id: string) {
  if (!isSessionId(id) || !kv.exists('sessions', `session:${id}`)) return problem(404, `no session ${id}`);
  const body = bodyOf<{ name: string; clicks: number }>(event);
  const name = String(body?.name ?? '').trim().slice(0, 24) || 'Anonymous cat';
  const clicks = Number(body?.clicks);
  if (!Number.isInteger(clicks) || clicks < 0) return problem(400, 'expected {"name": "...", "clicks": <clicks sent>}');
  // The session id as job id: finishing twice records the game once.
  enqueue('games', { session: id, name, clicks }, { jobId: `game-${id}` });
  return json(202, { session: id, recording: true });
}
