import type { GuestHost } from '../../src/executor/guest.js';

/** A guest host for measuring instances alone: output dropped, no main thread to call. */
export const quietHost: GuestHost = {
  stdout: () => {},
  stderr: () => {},
  log: () => {},
  call: (method) => {
    throw new Error(`no host services in this benchmark (${method})`);
  },
};
