// Runs this app with `spindle up` on a free port for the tests, the way `npm start` runs it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SPINDLE = fileURLToPath(new URL('../node_modules/spindle/bin/spindle.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Starts the app (built beforehand by `spindle build`); resolves with its URL and a way to stop it. */
export function startApp() {
  const child = spawn(process.execPath, [SPINDLE, 'up', '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let partial = '';
    child.on('exit', (code) => reject(new Error(`spindle up exited with code ${code} before listening`)));
    child.stdout.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        const record = line.startsWith('{') ? JSON.parse(line) : {};
        if (typeof record.url === 'string') {
          resolve({
            url: record.url,
            stop: () => new Promise((done) => child.once('exit', done).kill('SIGTERM')),
          });
        }
      }
    });
  });
}

/** Polls `check` until it returns a truthy value, or fails after `ms`. */
export async function eventually(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no result within ${ms} ms`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}
