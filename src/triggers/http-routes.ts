/**
 * HTTP routes with Spin's rules, so a Spin user feels at home:
 * - `/hello` is exact (a trailing slash on the request does not matter);
 * - `/static/...` is a wildcard prefix matching `/static` and everything below it;
 * - `:name` matches one non-empty segment and captures it.
 * Exact routes beat wildcards; among wildcards the longest prefix wins; at equal length a
 * literal segment beats a `:name`. The order routes are declared in never matters.
 */

export interface RouteMatch<T> {
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

/** Thrown when two routes would match exactly the same paths. */
export class RouteConflictError extends Error {
  override name = 'RouteConflictError';
}

type Segment = { literal: string } | { param: string };

interface CompiledRoute<T> {
  route: string;
  segments: Segment[];
  wildcard: boolean;
  /** Identical for routes that match the same paths. */
  shape: string;
  value: T;
}

const PARAM = /^:[A-Za-z_][A-Za-z0-9_-]*$/;

/** A description of what is wrong with `route`, or undefined when it is well-formed. */
export function validateRoute(route: string): string | undefined {
  if (!route.startsWith('/')) return 'a route must start with "/"';
  const parts = route.slice(1).split('/');
  if (parts.at(-1) === '') parts.pop();
  for (const [i, part] of parts.entries()) {
    if (part === '') return 'empty path segment';
    if (part === '...' && i !== parts.length - 1) return '"..." may only be the last segment';
    if (part.includes('...') && part !== '...') return '"..." must be a whole segment';
    if (part.startsWith(':') && !PARAM.test(part)) return `invalid parameter "${part}": expected ":name"`;
  }
  return undefined;
}

function compile<T>(route: string, value: T): CompiledRoute<T> {
  const parts = route.slice(1).split('/').filter((p) => p !== '');
  const wildcard = parts.at(-1) === '...';
  if (wildcard) parts.pop();
  const segments: Segment[] = parts.map((p) => (p.startsWith(':') ? { param: p.slice(1) } : { literal: p }));
  const shape = segments.map((s) => ('param' in s ? ':' : `=${s.literal}`)).join('/') + (wildcard ? '/...' : '');
  return { route, segments, wildcard, shape, value };
}

/** Exact before wildcard, longer before shorter, literal before parameter, left to right. */
function precedence(a: CompiledRoute<unknown>, b: CompiledRoute<unknown>): number {
  if (a.wildcard !== b.wildcard) return a.wildcard ? 1 : -1;
  if (a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  for (let i = 0; i < a.segments.length; i++) {
    const pa = 'param' in a.segments[i]!;
    const pb = 'param' in b.segments[i]!;
    if (pa !== pb) return pa ? 1 : -1;
  }
  return 0;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Pairs of routes in `routes` that would match the same paths, later one second. */
export function findRouteConflicts(routes: string[]): Array<[string, string]> {
  const seen = new Map<string, string>();
  const conflicts: Array<[string, string]> = [];
  for (const route of routes) {
    if (validateRoute(route)) continue;
    const { shape } = compile(route, null);
    const earlier = seen.get(shape);
    if (earlier !== undefined) conflicts.push([earlier, route]);
    else seen.set(shape, route);
  }
  return conflicts;
}

export class RouteTable<T> {
  #routes: CompiledRoute<T>[] = [];

  /** Adds `route`; throws on a malformed route or one that conflicts with a route added before. */
  add(route: string, value: T): void {
    const problem = validateRoute(route);
    if (problem) throw new Error(`invalid route "${route}": ${problem}`);
    const compiled = compile(route, value);
    const clash = this.#routes.find((r) => r.shape === compiled.shape);
    if (clash) throw new RouteConflictError(`route "${route}" conflicts with route "${clash.route}"`);
    this.#routes.push(compiled);
    this.#routes.sort(precedence);
  }

  /** The route serving `path` (no query string), or undefined: a 404. */
  match(path: string): RouteMatch<T> | undefined {
    const parts = path.split('/');
    // "/a/b/" splits into ["", "a", "b", ""]: drop the leading empty and one trailing empty.
    let end = parts.length;
    if (end > 1 && parts[end - 1] === '') end--;
    const count = end - 1;
    for (const r of this.#routes) {
      const n = r.segments.length;
      if (r.wildcard ? count < n : count !== n) continue;
      let params: Record<string, string> | undefined;
      let ok = true;
      for (let i = 0; i < n; i++) {
        const seg = r.segments[i]!;
        const part = parts[i + 1]!;
        if ('literal' in seg) {
          if (seg.literal !== part) {
            ok = false;
            break;
          }
        } else if (part === '') {
          ok = false;
          break;
        } else {
          (params ??= {})[seg.param] = decode(part);
        }
      }
      if (!ok) continue;
      const matchedBase = n === 0 ? '' : `/${parts.slice(1, n + 1).join('/')}`;
      const pathInfo = r.wildcard ? path.slice(matchedBase.length) : '';
      return { value: r.value, route: r.route, params: params ?? {}, matchedBase, pathInfo };
    }
    return undefined;
  }
}
