/**
 * HTTP routes with Spin's rules, so a Spin user feels at home:
 * - `/hello` is exact (a trailing slash on the request does not matter);
 * - `/static/...` is a wildcard prefix matching `/static` and everything below it;
 * - `:name` matches one non-empty segment and captures it.
 * Exact routes beat wildcards; among wildcards the longest prefix wins; at equal length a
 * literal segment beats a `:name`, compared from the left. Declaration order never matters.
 */

/** What {@link RouteTable.match} found for a request path. */
export interface RouteMatch<T> {
  /** The value the route was added with, e.g. its trigger config. */
  value: T;
  /** The route as declared, e.g. `/users/:id/...`. */
  route: string;
  /** Captured `:name` segments, percent-decoded. */
  params: Record<string, string>;
  /** The part of the path the route's prefix matched, e.g. `/static` (Spin's matched route base). */
  matchedBase: string;
  /** What follows the base, e.g. `/css/site.css`; empty when nothing does (Spin's path info). */
  pathInfo: string;
}

/** Thrown by {@link RouteTable.add} when a route would match exactly the same paths as an earlier one. */
export class RouteConflictError extends Error {
  override name = 'RouteConflictError';

  constructor(
    /** The route being added. */
    readonly route: string,
    /** The route already in the table that it collides with. */
    readonly existing: string,
  ) {
    super(`route "${route}" conflicts with route "${existing}"`);
  }
}

interface CompiledRoute<T> {
  route: string;
  value: T;
  /** Per segment: the literal text, or null for a `:name` segment. */
  literals: (string | null)[];
  /** Per segment: the parameter name, '' for literals. */
  names: string[];
  hasParams: boolean;
  wildcard: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What RFC 3986 lets a path segment carry: unreserved, sub-delims, ":", "@" and %XX escapes. */
const PATH_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;
const SLASH = 0x2f;

/**
 * What is wrong with `route`, or undefined when it is well-formed. The answer is meant to follow
 * `invalid route "<route>": `, so it does not repeat the route.
 */
export function validateRoute(route: string): string | undefined {
  if (!route.startsWith('/')) return 'a route must start with "/"';
  const parts = route.slice(1).split('/');
  // One trailing slash is allowed ("/hello/" is "/hello"); "/" itself splits into [""].
  if (parts.at(-1) === '') parts.pop();
  const seen = new Set<string>();
  for (const [i, part] of parts.entries()) {
    if (part === '') return 'empty path segment';
    if (part === '...') {
      if (i !== parts.length - 1) return '"..." may only be the last segment';
    } else if (part.includes('...')) {
      return '"..." must be a whole segment';
    } else if (part === '.' || part === '..') {
      return `"${part}" segments never match: requests with them are refused`;
    } else if (!PATH_SEGMENT.test(part)) {
      return `segment "${part}" has characters a request path cannot carry as they are (write them percent-encoded)`;
    } else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!PARAM_NAME.test(name)) return `invalid parameter "${part}": expected ":name"`;
      if (seen.has(name)) return `duplicate parameter "${part}"`;
      seen.add(name);
    }
  }
  return undefined;
}

/** Assumes a valid route. */
function split(route: string): { parts: string[]; wildcard: boolean } {
  const parts = route.split('/').filter((p) => p !== '');
  const wildcard = parts.at(-1) === '...';
  if (wildcard) parts.pop();
  return { parts, wildcard };
}

/** Equal for exactly the routes that match the same paths: parameter names do not matter. */
function shapeOf(route: string): string {
  const { parts, wildcard } = split(route);
  return parts.map((p) => (p.startsWith(':') ? ':' : `=${p}`)).join('/') + (wildcard ? '/...' : '');
}

/** Pairs of routes in `routes` that would match the same paths, `[earlier, later]`; malformed routes are skipped. */
export function findRouteConflicts(routes: string[]): Array<[string, string]> {
  const seen = new Map<string, string>();
  const conflicts: Array<[string, string]> = [];
  for (const route of routes) {
    if (validateRoute(route) !== undefined) continue;
    const shape = shapeOf(route);
    const earlier = seen.get(shape);
    if (earlier !== undefined) conflicts.push([earlier, route]);
    else seen.set(shape, route);
  }
  return conflicts;
}

/** Sorting by this makes the first route that matches the one Spin would pick. */
function precedence(a: CompiledRoute<unknown>, b: CompiledRoute<unknown>): number {
  if (a.wildcard !== b.wildcard) return a.wildcard ? 1 : -1;
  if (a.literals.length !== b.literals.length) return b.literals.length - a.literals.length;
  for (let i = 0; i < a.literals.length; i++) {
    const pa = a.literals[i] === null;
    if (pa !== (b.literals[i] === null)) return pa ? 1 : -1;
  }
  // Only reachable for routes that can never match the same path (else add would have refused one).
  return 0;
}

/**
 * Matches the route's segments against the start of `path` without allocating (indices, not
 * substrings), so rejecting a candidate is cheap. Returns the index just past the last matched
 * segment (a '/' or the end of the path), or -1. Fills `params` when given.
 */
function walk(r: CompiledRoute<unknown>, path: string, params?: Record<string, string>): number {
  let cursor = 0;
  for (let i = 0; i < r.literals.length; i++) {
    if (cursor >= path.length) return -1;
    const start = cursor + 1;
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const literal = r.literals[i];
    if (literal === null || literal === undefined) {
      if (end === start) return -1;
      if (params) params[r.names[i]!] = decode(path.slice(start, end));
    } else if (end - start !== literal.length || !path.startsWith(literal, start)) {
      return -1;
    }
    cursor = end;
  }
  return cursor;
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape is the client's problem; the component still gets what was sent.
    return segment;
  }
}

/** A set of routes, each with a value, that finds the route serving a request path. */
export class RouteTable<T> {
  /** Kept sorted by precedence, so matching stops at the first hit. */
  #routes: CompiledRoute<T>[] = [];
  /** Shape → route, to refuse a second route matching the same paths. */
  #shapes = new Map<string, string>();

  /**
   * Adds `route` with `value`. Throws an Error for a malformed route (see {@link validateRoute})
   * and a {@link RouteConflictError} for one equivalent to a route added before.
   */
  add(route: string, value: T): void {
    const problem = validateRoute(route);
    if (problem !== undefined) throw new Error(`invalid route "${route}": ${problem}`);
    const shape = shapeOf(route);
    const existing = this.#shapes.get(shape);
    if (existing !== undefined) throw new RouteConflictError(route, existing);
    const { parts, wildcard } = split(route);
    const literals = parts.map((p) => (p.startsWith(':') ? null : p));
    const names = parts.map((p) => (p.startsWith(':') ? p.slice(1) : ''));
    this.#shapes.set(shape, route);
    this.#routes.push({ route, value, literals, names, hasParams: literals.includes(null), wildcard });
    this.#routes.sort(precedence);
  }

  /** The route serving `path` (raw, without the query string), or undefined: a 404. */
  match(path: string): RouteMatch<T> | undefined {
    if (path.charCodeAt(0) !== SLASH) return undefined;
    for (const r of this.#routes) {
      const cursor = walk(r, path);
      if (cursor === -1) continue;
      // An exact route must consume the whole path, give or take one trailing slash.
      if (!r.wildcard && cursor !== path.length && cursor !== path.length - 1) continue;
      const params: Record<string, string> = {};
      // Captured on a second walk so that rejected candidates never allocate.
      if (r.hasParams) walk(r, path, params);
      const matchedBase = path.slice(0, cursor);
      const pathInfo = r.wildcard ? path.slice(cursor) : '';
      return { value: r.value, route: r.route, params, matchedBase, pathInfo };
    }
    return undefined;
  }
}
