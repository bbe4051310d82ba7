// Runs on the schedule in spindle.toml: counts its runs and remembers when the last was due.
import { kv, log, onTick } from 'spindle/sdk';

export const handle = onTick((event) => {
  const count = kv.increment('runs', 'count');
  kv.set('runs', 'last', event.cron.scheduledAt.toISOString());
  log.debug(`run ${count} (${event.cron.schedule})`);
});
