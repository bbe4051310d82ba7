// GET /highscore: the ten best games recorded.
import { getJson, json } from './lib.js';

export function handle() {
  return json(200, getJson('highscores', 'top') ?? []);
}
