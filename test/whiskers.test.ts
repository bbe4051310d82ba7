/**
 * The Whiskers reference game (manifests/whiskers), played in headless Chromium through its own
 * page, on the embedded default and in redis mode, plus what a browser does not show: bad
 * requests, idempotent finishing and the reaper expiring old sessions.
 *
 * Chromium is Debian's (`/usr/bin/chromium`), driven by playwright-core; `.ci/run` installs it.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { startApp, type App } from '../src/app.js';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import { collectingLogger, httpUrl, waitFor } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const GAME = fileURLToPath(new URL('../../manifests/whiskers/spindle.toml', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
/** The flags a root user on a machine without outside network needs for a quiet headless start. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Game {
  app: App;
  url: string;
  logs: Array<Record<string, unknown>>;
}

async function startGame(options: { redis?: string; env?: Record<string, string> } = {}): Promise<Game> {
  const saved = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, options.env);
  try {
    const logs: Array<Record<string, unknown>> = [];
    const app = await startApp(await loadManifest(GAME), {
      listen: '127.0.0.1:0',
      logger: collectingLogger(logs),
      ...(options.redis ? { redis: options.redis } : {}),
    });
    return { app, logs, url: httpUrl(app) };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

let redis: TestRedis;
before(async () => {
  await buildComponents(await loadManifest(GAME, { checkSources: false }));
  redis = await startRedis();
});
after(() => redis?.stop());

describe('Whiskers in a browser', () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).catch((err: Error) => {
      throw new Error(`cannot start ${CHROMIUM} (Debian's chromium package; .ci/run installs it): ${err.message}`);
    });
  });
  after(() => browser?.close());

  for (const mode of ['embedded', 'redis'] as const) {
    it(`plays a game to the score and the high-score list (${mode})`, async () => {
      const game = await startGame(mode === 'redis' ? { redis: redis.url } : {});
      const page = await browser.newPage();
      try {
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        await page.goto(game.url);
        const player = `Tester ${mode}`;
        await page.fill('#name', player);
        await page.click('#start');
        await page.waitForSelector('#wants[data-food]');

        const feeds = 9;
        for (let i = 0; i < feeds; i++) {
          const wanted = await page.getAttribute('#wants', 'data-food');
          await page.click(`.foods button[data-food="${wanted}"]`);
          await page.waitForFunction((n) => document.getElementById('fed')!.textContent === String(n), i + 1);
        }
        await page.click('#finish');

        const score = await page.waitForSelector('#score', { timeout: 20_000 });
        assert.equal(await score.textContent(), String(feeds), 'the score shown is the clicks made');
        const entry = page.locator('#highscores li', { hasText: player });
        await entry.waitFor({ timeout: 10_000 });
        assert.equal(await entry.textContent(), `${player} — ${feeds}`);
        assert.deepEqual(errors, [], 'the page ran without script errors');
      } finally {
        await page.close();
        await game.app.stop();
      }
    });
  }
});

describe('Whiskers API', () => {
  let game: Game;
  before(async () => {
    game = await startGame({ env: { SPINDLE_VARIABLE_SESSION_MAX_AGE: '3' } });
  });
  after(() => game?.app.stop());

  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${game.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body ?? {}) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('answers malformed requests with 400 and unknown sessions with 404', async () => {
    assert.equal((await post('/tally', 'not json')).status, 400);
    assert.equal((await post('/tally', { session: 'x', food: 'fish', wanted: 'fish' })).status, 400);
    const unknown = '00000000-0000-0000-0000-000000000000';
    assert.equal((await post('/tally', { session: unknown, food: 'fish', wanted: 'fish' })).status, 404);
    assert.equal((await post(`/session/${unknown}/finish`, { clicks: 0 })).status, 404);
    assert.equal((await fetch(`${game.url}/session`)).status, 405);
  });

  it('records a game once however often it is finished, and the reaper expires its session', async () => {
    const { body: session } = await post('/session');
    const wanted = session.menu[0];
    assert.equal((await post('/tally', { session: session.id, food: wanted, wanted })).status, 202);
    const other = wanted === 'fish' ? 'veg' : 'fish';
    assert.equal((await post('/tally', { session: session.id, food: other, wanted })).status, 202);
    for (let i = 0; i < 3; i++) assert.equal((await post(`/session/${session.id}/finish`, { name: 'Twice', clicks: 2 })).status, 202);
    const card = await waitFor(async () => {
      const c = (await (await fetch(`${game.url}/score/${session.id}`)).json()) as Record<string, unknown>;
      return c.recorded ? c : undefined;
    }, 10_000, 'the game to be recorded');
    assert.deepEqual({ score: card.score, clicks: card.clicks }, { score: 1, clicks: 2 });
    const top = (await (await fetch(`${game.url}/highscore`)).json()) as Array<{ name: string }>;
    assert.equal(top.filter((g) => g.name === 'Twice').length, 1, 'one entry for one game');

    await waitFor(() => game.logs.some((l) => l.component === 'reaper' && /expired \d+ session/.test(String(l.msg))), 20_000, 'a reaper tick expiring the session');
    assert.equal((await post('/tally', { session: session.id, food: wanted, wanted })).status, 404, 'the session is gone');
    assert.ok((await (await fetch(`${game.url}/highscore`)).json() as unknown[]).length >= 1, 'the high scores stay');
  });
});

describe('Whiskers on a shared Redis', () => {
  it('keeps the right top ten when two processes record games at once', async () => {
    // Games played by the tests before share this Redis; this one starts from an empty board.
    const raw = new Redis(redis.url);
    await raw.flushall();
    raw.disconnect();
    const games = await Promise.all([startGame({ redis: redis.url }), startGame({ redis: redis.url })]);
    try {
      const play = async (game: Game, score: number) => {
        const post = (path: string, body?: unknown) => fetch(`${game.url}${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
        const session = (await (await post('/session')).json()) as { id: string; menu: string[] };
        await Promise.all(session.menu.slice(0, score).map((food) => post('/tally', { session: session.id, food, wanted: food })));
        await post(`/session/${session.id}/finish`, { name: `player-${score}`, clicks: score });
        return session.id;
      };
      const scores = Array.from({ length: 12 }, (_, i) => i + 1);
      const ids = await Promise.all(scores.map((score) => play(games[score % 2]!, score)));
      await waitFor(async () => {
        const cards = await Promise.all(ids.map(async (id) => (await (await fetch(`${games[0]!.url}/score/${id}`)).json()) as { recorded: boolean }));
        return cards.every((c) => c.recorded);
      }, 20_000, 'every game to be recorded');
      const top = (await (await fetch(`${games[1]!.url}/highscore`)).json()) as Array<{ name: string; score: number }>;
      assert.deepEqual(top.map((g) => g.score), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
      assert.deepEqual(top.map((g) => g.name), top.map((g) => `player-${g.score}`));
    } finally {
      await Promise.all(games.map((g) => g.app.stop()));
    }
  });
});
