/** A Spindle app in a child process, counting handled events and measuring cron lateness. */
import { startApp } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { loadManifest } from '../../src/app-manifest.js';
import { answerReports } from './ipc.js';

const [manifest, redis] = process.argv.slice(2) as [string, string | undefined];
let handled = 0;
let failed = 0;
const lateness: number[] = [];
await startApp(await loadManifest(manifest), {
  logger: createLogger({ level: 'warn' }),
  ...(redis ? { redis } : {}),
  onEvent(_component, event, outcome, ms) {
    if (outcome.ok) handled++;
    else failed++;
    if (event.type === 'spindle.cron.tick') lateness.push(Date.now() - ms - Date.parse(event.time!));
  },
});
answerReports(() => ({ handled, failed, lateness }));
console.log('ready');
