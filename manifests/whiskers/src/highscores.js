// The high scores: one key per game in the "highscores" store, rather than one list that every
// recorder would read, change and write back. Processes recording games at once on a shared
// Redis then never overwrite each other's entries; pruning only removes an entry that ten
// others beat, so the top ten survive any interleaving.
import { delete as remove, listKeys } from 'spindle:app/key-value@0.1.0';
import { getJson } from './lib.js';

export const HIGHSCORE_PREFIX = 'game:';
const TOP = 10;

function ranked() {
  const games = listKeys('highscores', HIGHSCORE_PREFIX)
    .map((key) => ({ key, game: getJson('highscores', key) }))
    .filter((entry) => entry.game !== undefined);
  return games.sort((a, b) => b.game.score - a.game.score || a.game.at.localeCompare(b.game.at));
}

export function topTen() {
  return ranked()
    .slice(0, TOP)
    .map((entry) => entry.game);
}

export function pruneHighscores() {
  for (const entry of ranked().slice(TOP)) remove('highscores', entry.key);
}
