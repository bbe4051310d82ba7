/**
 * `allowed_outbound_hosts` in Spin's syntax: `scheme://host[:port]`, where scheme, host, a
 * host's leading labels and port may be `*`. No entry means no outbound network at all.
 */
import { ComponentLoadError, type ManifestProblem } from '../errors.js';
import type { Manifest } from '../manifest/schema.js';
import { isTemplate, renderTemplate } from '../manifest/variables.js';

/** Decides whether a guest may send an outgoing request to `scheme://authority`. */
export type OutboundPolicy = (scheme: string, authority: string) => boolean;

/** The port a scheme implies when an entry or an address leaves it out, as Spin has them. */
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', redis: '6379', rediss: '6379', mysql: '3306', postgres: '5432', mqtt: '1883' };

interface HostPattern {
  scheme: string;
  host: string;
  port: string;
}

/** Parses one entry; returns a description of the problem when it is malformed. */
export function parseHostPattern(entry: string): HostPattern | string {
  const m = /^([a-z*][a-z0-9+.-]*|\*):\/\/([^/:]+)(?::(\d+|\*))?\/?$/i.exec(entry.trim());
  if (!m) return `expected "scheme://host[:port]", got "${entry}"`;
  const scheme = m[1]!.toLowerCase();
  const port = m[3] ?? DEFAULT_PORTS[scheme] ?? (scheme === '*' ? '*' : '');
  if (!port) return `"${entry}" needs a port: there is no default port for ${scheme}`;
  return { scheme, host: m[2]!.toLowerCase(), port };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** A policy admitting exactly the hosts in `entries`. Malformed entries admit nothing. */
export function outboundPolicy(entries: string[]): OutboundPolicy {
  const patterns = entries.map(parseHostPattern).filter((p): p is HostPattern => typeof p !== 'string');
  return (scheme, authority) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority.toLowerCase());
    if (!m) return false;
    const host = m[1]!;
    const port = m[2] ?? DEFAULT_PORTS[scheme] ?? '';
    return patterns.some(
      (p) => (p.scheme === '*' || p.scheme === scheme) && hostMatches(p.host, host) && (p.port === '*' || p.port === port),
    );
  };
}

/**
 * Every malformed `allowed_outbound_hosts` entry of `manifest`, by field path. An entry with a
 * `{{ variable }}` is checked once rendered at start-up; until then it could be anything.
 */
export function checkOutboundHosts(manifest: Manifest): ManifestProblem[] {
  return Object.entries(manifest.component).flatMap(([id, c]) =>
    c.allowed_outbound_hosts.flatMap((entry, i) => {
      if (isTemplate(entry)) return [];
      const parsed = parseHostPattern(entry);
      return typeof parsed === 'string' ? [{ path: `component.${id}.allowed_outbound_hosts[${i}]`, message: parsed }] : [];
    }),
  );
}

/** `entries` of `component` with their `{{ variable }}` references rendered; refuses one that renders malformed. */
export function renderOutboundHosts(component: string, entries: string[], variables: Map<string, string>): string[] {
  return entries.map((entry, i) => {
    if (!isTemplate(entry)) return entry;
    const rendered = renderTemplate(entry, variables);
    const parsed = parseHostPattern(rendered);
    if (typeof parsed === 'string') {
      throw new ComponentLoadError(`component "${component}": allowed_outbound_hosts[${i}] "${entry}" renders to an unusable entry: ${parsed}`, { component });
    }
    return rendered;
  });
}
