/** HTTP vocabulary shared by the inbound trigger, the guest's request and outbound responses. */

/** Headers that describe one connection, not the message: never carried across a hop. */
export const HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

/** A host name, an IPv4 address or a bracketed IPv6 address, and an optional port: no userinfo, no path. */
export const HOST_AND_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i;

/** `host:port` (IPv6 hosts in brackets; an empty host is 127.0.0.1), or what is wrong with it. */
export function parseListen(listen: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) return `invalid listen address "${listen}": expected host:port`;
  const port = Number(m[3]);
  if (port > 65_535) return `invalid listen address "${listen}": port ${port} is above 65535`;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
