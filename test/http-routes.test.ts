import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRouteConflicts, RouteConflictError, RouteTable, validateRoute } from '../src/triggers/http-routes.js';

interface Expected {
  route: string;
  params: Record<string, string>;
  matchedBase: string;
  pathInfo: string;
}

interface Case {
  routes: string[];
  path: string;
  /** The route expected to serve `path`, or undefined for a 404. */
  expected: Expected | undefined;
}

const hit = (route: string, matchedBase: string, pathInfo: string, params: Record<string, string> = {}): Expected => ({
  route,
  params,
  matchedBase,
  pathInfo,
});

const API = ['/...', '/api/...', '/api/v2/...'];

const CASES: Case[] = [
  // Exact routes; a trailing slash on the request is not significant.
  { routes: ['/hello'], path: '/hello', expected: hit('/hello', '/hello', '') },
  { routes: ['/hello'], path: '/hello/', expected: hit('/hello', '/hello', '') },
  { routes: ['/hello/'], path: '/hello', expected: hit('/hello/', '/hello', '') },
  { routes: ['/hello'], path: '/hello//', expected: undefined },
  { routes: ['/hello'], path: '/hello/world', expected: undefined },
  { routes: ['/hello'], path: '/hell', expected: undefined },
  { routes: ['/hello'], path: '/helloo', expected: undefined },
  // Wildcards match their prefix itself and everything below it, on segment boundaries only.
  { routes: ['/static/...'], path: '/static', expected: hit('/static/...', '/static', '') },
  { routes: ['/static/...'], path: '/static/', expected: hit('/static/...', '/static', '/') },
  { routes: ['/static/...'], path: '/static/css/site.css', expected: hit('/static/...', '/static', '/css/site.css') },
  { routes: ['/static/...'], path: '/staticfile', expected: undefined },
  { routes: ['/static/...'], path: '/', expected: undefined },
  // The root.
  { routes: ['/...'], path: '/', expected: hit('/...', '', '/') },
  { routes: ['/...'], path: '/anything/at/all', expected: hit('/...', '', '/anything/at/all') },
  { routes: ['/'], path: '/', expected: hit('/', '', '') },
  { routes: ['/'], path: '/a', expected: undefined },
  { routes: [], path: '/', expected: undefined },
  { routes: ['/...'], path: '*', expected: undefined },
  { routes: ['/...'], path: '', expected: undefined },
  // Exact beats wildcard, even a longer and more literal one.
  { routes: ['/api/...', '/api/health'], path: '/api/health', expected: hit('/api/health', '/api/health', '') },
  { routes: ['/api/...', '/api/health'], path: '/api/health/', expected: hit('/api/health', '/api/health', '') },
  { routes: ['/api/...', '/api/health'], path: '/api/users', expected: hit('/api/...', '/api', '/users') },
  { routes: ['/...', '/'], path: '/', expected: hit('/', '', '') },
  { routes: ['/:a/:b', '/a/b/...'], path: '/a/b', expected: hit('/:a/:b', '/a/b', '', { a: 'a', b: 'b' }) },
  // Among wildcards the longest prefix wins, even over literal segments.
  { routes: API, path: '/api/v2/users', expected: hit('/api/v2/...', '/api/v2', '/users') },
  { routes: API, path: '/api/v1/users', expected: hit('/api/...', '/api', '/v1/users') },
  { routes: API, path: '/other', expected: hit('/...', '', '/other') },
  { routes: ['/files/...', '/:x/:y/...'], path: '/files/a/b', expected: hit('/:x/:y/...', '/files/a', '/b', { x: 'files', y: 'a' }) },
  // At equal kind and length a literal beats a parameter, the leftmost difference deciding.
  { routes: ['/users/:id', '/users/me'], path: '/users/me', expected: hit('/users/me', '/users/me', '') },
  { routes: ['/users/:id', '/users/me'], path: '/users/you', expected: hit('/users/:id', '/users/you', '', { id: 'you' }) },
  { routes: ['/:a/b', '/a/:b'], path: '/a/b', expected: hit('/a/:b', '/a/b', '', { b: 'b' }) },
  { routes: ['/:x/...', '/files/...'], path: '/files/a', expected: hit('/files/...', '/files', '/a') },
  { routes: ['/a/:x/c', '/a/b/:y'], path: '/a/b/c', expected: hit('/a/b/:y', '/a/b/c', '', { y: 'c' }) },
  { routes: ['/a/:x/c', '/a/b/:y'], path: '/a/z/c', expected: hit('/a/:x/c', '/a/z/c', '', { x: 'z' }) },
  // Parameters capture exactly one non-empty segment, decoded after splitting the raw path.
  { routes: ['/users/:id/orders'], path: '/users/42/orders', expected: hit('/users/:id/orders', '/users/42/orders', '', { id: '42' }) },
  { routes: ['/users/:id/orders'], path: '/users/42/orders/', expected: hit('/users/:id/orders', '/users/42/orders', '', { id: '42' }) },
  { routes: ['/users/:id/orders'], path: '/users//orders', expected: undefined },
  { routes: ['/users/:id/orders'], path: '/users/42', expected: undefined },
  { routes: ['/users/:id/orders'], path: '/users/42/orders/7', expected: undefined },
  { routes: ['/files/:name'], path: '/files/a%20b', expected: hit('/files/:name', '/files/a%20b', '', { name: 'a b' }) },
  { routes: ['/files/:name'], path: '/files/a%2Fb', expected: hit('/files/:name', '/files/a%2Fb', '', { name: 'a/b' }) },
  { routes: ['/files/:name'], path: '/files/%E0%A4%A', expected: hit('/files/:name', '/files/%E0%A4%A', '', { name: '%E0%A4%A' }) },
  { routes: ['/u/:id/...'], path: '/u/7/x%20y/z', expected: hit('/u/:id/...', '/u/7', '/x%20y/z', { id: '7' }) },
];

describe('RouteTable.match', () => {
  for (const c of CASES) {
    // Declaration order must never matter, so every case runs in both orders.
    const orders = c.routes.length > 1 ? [c.routes, [...c.routes].reverse()] : [c.routes];
    for (const routes of orders) {
      it(`${JSON.stringify(c.path)} among [${routes.join(', ')}] → ${c.expected?.route ?? '404'}`, () => {
        const table = new RouteTable<{ route: string }>();
        const values = new Map(routes.map((route) => [route, { route }]));
        for (const [route, value] of values) table.add(route, value);
        const match = table.match(c.path);
        if (c.expected === undefined) {
          assert.equal(match, undefined);
          return;
        }
        assert.ok(match, 'expected a match');
        assert.equal(match.route, c.expected.route);
        assert.equal(match.value, values.get(c.expected.route));
        assert.deepEqual(match.params, c.expected.params);
        assert.equal(match.matchedBase, c.expected.matchedBase);
        assert.equal(match.pathInfo, c.expected.pathInfo);
      });
    }
  }
});

describe('route conflicts', () => {
  const CONFLICTS: Array<[string, string]> = [
    ['/a/:x', '/a/:y'],
    ['/a', '/a'],
    ['/a', '/a/'],
    ['/static/...', '/static/...'],
    ['/:p/...', '/:q/...'],
    ['/', '/'],
  ];
  for (const [first, second] of CONFLICTS) {
    it(`refuses ${second} after ${first}, naming both`, () => {
      const table = new RouteTable<string>();
      table.add(first, 'first');
      assert.throws(
        () => table.add(second, 'second'),
        (err: unknown) => {
          assert.ok(err instanceof RouteConflictError);
          assert.equal(err.name, 'RouteConflictError');
          assert.equal(err.message, `route "${second}" conflicts with route "${first}"`);
          return true;
        },
      );
      // The refused route must not have replaced the first one.
      const path = first.replace('/...', '').replace(/:\w+/g, 'v') || '/';
      assert.equal(table.match(path)?.value, 'first');
    });
  }

  const COMPATIBLE: Array<[string, string]> = [
    ['/a', '/a/...'],
    ['/a/:x', '/a/b'],
    ['/:x/b', '/a/:y'],
    ['/a/:x', '/a/:x/...'],
    ['/', '/...'],
  ];
  for (const [x, y] of COMPATIBLE) {
    it(`accepts ${x} and ${y} in either order`, () => {
      for (const [a, b] of [[x, y], [y, x]] as const) {
        const table = new RouteTable<string>();
        table.add(a, a);
        assert.doesNotThrow(() => table.add(b, b));
      }
    });
  }

  it('findRouteConflicts lists [earlier, later] pairs and skips malformed routes', () => {
    assert.deepEqual(findRouteConflicts(['/a/:x', '/b', '/a/:y', '/b/', '/c/...', '/c/...']), [
      ['/a/:x', '/a/:y'],
      ['/b', '/b/'],
      ['/c/...', '/c/...'],
    ]);
    assert.deepEqual(findRouteConflicts(['/x', '/x/...', '/:p', '/x/:q', '/']), []);
    assert.deepEqual(findRouteConflicts(['nope', 'nope']), []);
  });
});

describe('validateRoute', () => {
  const ROUTES: Array<[string, string | undefined]> = [
    ['/', undefined],
    ['/hello', undefined],
    ['/hello/', undefined],
    ['/...', undefined],
    ['/static/...', undefined],
    ['/users/:id/orders', undefined],
    ['/:a_1/:B2/...', undefined],
    ['hello', 'a route must start with "/"'],
    ['', 'a route must start with "/"'],
    ['/a//b', 'empty path segment'],
    ['//', 'empty path segment'],
    ['/a/.../b', '"..." may only be the last segment'],
    ['/a/b...', '"..." must be a whole segment'],
    ['/.../...', '"..." may only be the last segment'],
    ['/a/:', 'invalid parameter ":": expected ":name"'],
    ['/a/:1x', 'invalid parameter ":1x": expected ":name"'],
    ['/a/:x.y', 'invalid parameter ":x.y": expected ":name"'],
    ['/:id/x/:id', 'duplicate parameter ":id"'],
    ['/caf%C3%A9/x@y', undefined],
    ['/a/../b', '".." segments never match: requests with them are refused'],
    ['/a/./b', '"." segments never match: requests with them are refused'],
    ['/search?q', 'segment "search?q" has characters a request path cannot carry as they are (write them percent-encoded)'],
    ['/a b', 'segment "a b" has characters a request path cannot carry as they are (write them percent-encoded)'],
    ['/tab\there', 'segment "tab\there" has characters a request path cannot carry as they are (write them percent-encoded)'],
    ['/frag#x', 'segment "frag#x" has characters a request path cannot carry as they are (write them percent-encoded)'],
    ['/bad%zz', 'segment "bad%zz" has characters a request path cannot carry as they are (write them percent-encoded)'],
  ];
  for (const [route, problem] of ROUTES) {
    it(`${JSON.stringify(route)} → ${problem ?? 'fine'}`, () => {
      assert.equal(validateRoute(route), problem);
    });
  }

  it('RouteTable.add refuses a malformed route with a plain Error', () => {
    const table = new RouteTable<number>();
    assert.throws(
      () => table.add('/a/.../b', 1),
      (err: unknown) => {
        assert.ok(err instanceof Error && !(err instanceof RouteConflictError));
        assert.equal(err.message, 'invalid route "/a/.../b": "..." may only be the last segment');
        return true;
      },
    );
    assert.equal(table.match('/a/x/b'), undefined);
  });
});
