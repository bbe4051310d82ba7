// GET /highscore: the ten best games recorded.
import { json } from './lib.js';
import { topTen } from './highscores.js';

export function handle() {
  return json(200, topTen());
}
