// GET /highscore: the ten best games recorded.
import { json, onHttp } from 'spindle/sdk';
import { topTen } from './highscores.js';

export const handle = onHttp(() => json(200, topTen()));
