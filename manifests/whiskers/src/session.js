// POST /session starts a game: an id, the cat's menu and how long the game lasts.
// POST /session/:id/finish hands the finished game to the "games" queue to be recorded.
import { enqueue } from 'spindle:app/queue@0.1.0';
import { get as variable } from 'spindle:app/variables@0.1.0';
import { FOODS, attributes, bodyJson, getJson, isSessionId, json, problem, setJson } from './lib.js';

export function handle(event) {
  const attrs = attributes(event);
  if (attrs['http.method'] !== 'POST') return problem(405, 'use POST');
  const id = attrs['http.param.id'];
  return id === undefined ? start(event) : finish(event, id);
}

function start(event) {
  const id = event.id;
  // The menu comes from the session id's random hex digits: no two sessions alike.
  const length = Number(variable('menu_length'));
  const digits = id.replaceAll('-', '');
  const menu = Array.from({ length }, (_, i) => FOODS[parseInt(digits[i % digits.length], 16) % FOODS.length]);
  const session = { id, menu, seconds: Number(variable('game_seconds')), started: Date.now() };
  setJson('sessions', `session:${id}`, session);
  return json(201, session);
}

function finish(event, id) {
  if (!isSessionId(id) || !getJson('sessions', `session:${id}`)) return problem(404, `no session ${id}`);
  const body = bodyJson(event);
  const name = String(body?.name ?? '').trim().slice(0, 24) || 'Anonymous cat';
  const clicks = Number(body?.clicks);
  if (!Number.isInteger(clicks) || clicks < 0) return problem(400, 'expected {"name": "...", "clicks": <clicks sent>}');
  // The session id as job id: finishing twice records the game once.
  enqueue('games', new TextEncoder().encode(JSON.stringify({ session: id, name, clicks })), { jobId: `game-${id}` });
  return json(202, { session: id, recording: true });
}
