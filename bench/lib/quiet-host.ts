import type { GuestHost } from '../../src/executor/worker/guest.js';

/** A guest host for measuring instances alone: output dropped, no main thread to call. */
export const quietHost: GuestHost = {
  stdout: () => {},
  stderr: () => {},
  log: () => {},
  services: () =>
    new Proxy({} as ReturnType<GuestHost['services']>, {
      get: (_, method) => () => {
        throw new Error(`no host services in this benchmark (${String(method)})`);
      },
    }),
};
