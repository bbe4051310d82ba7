/** Baseline: a plain ioredis subscriber with a trivial handler. */
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../../src/redis/url.js';
import { answerReports } from './ipc.js';

const [url, channel] = process.argv.slice(2) as [string, string];
let received = 0;
const sub = new Redis(redisOptionsFromUrl(url));
sub.on('messageBuffer', () => void received++);
await sub.subscribe(channel);
answerReports(() => ({ received }));
console.log('ready');
