// The high scores: one key per game in the "highscores" store, rather than one list that every
// recorder would read, change and write back. Processes recording games at once on a shared
// Redis then never overwrite each other's entries; pruning only removes an entry that ten
// others beat, so the top ten survive any interleaving.
import { kv } from 'spindle/sdk';
import type { Game } from './game.js';

export const HIGHSCORE_PREFIX = 'game:';
const TOP = 10;

function ranked(): Array<{ key: string; game: Game }> {
  const games = kv
    .listKeys('highscores', HIGHSCORE_PREFIX)
    .map((key) => ({ key, game: kv.getJson<Game>('highscores', key) }))
    .filter((entry): entry is { key: string; game: Game } => entry.game !== undefined);
  return games.sort((a, b) => b.game.score - a.game.score || a.game.at.localeCompare(b.game.at));
}

export function topTen(): Game[] {
  return ranked()
    .slice(0, TOP)
    .map((entry) => entry.game);
}

export function pruneHighscores(): void {
  for (const entry of ranked().slice(TOP)) kv.delete('highscores', entry.key);
}
