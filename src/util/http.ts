/** HTTP vocabulary shared by the inbound trigger, the guest's request and outbound responses. */

/** Headers that describe one connection, not the message: never carried across a hop. */
export const HOP_BY_HOP: readonly string[] = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

/** A host name, an IPv4 address or a bracketed IPv6 address, and an optional port: no userinfo, no path. */
export const HOST_AND_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i;
