import type { GuestHost } from '../../src/executor/worker/guest.js';

/** A guest host for instances run alone, in tests and benchmarks: output dropped, no main thread to call. */
export const quietHost: GuestHost = {
  stdout: () => {},
  stderr: () => {},
  log: () => {},
  services: () =>
    new Proxy({} as ReturnType<GuestHost['services']>, {
      get: (_, method) => () => {
        throw new Error(`no host services here (${String(method)})`);
      },
    }),
};
