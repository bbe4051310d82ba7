import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRouteConflicts, RouteConflictError, RouteTable, validateRoute } from '../src/triggers/http-routes.js';

interface Case {
  routes: string[];
  path: string;
  /** The route expected to serve `path`, or undefined for a 404. */
  route: string | undefined;
  params?: Record<string, string>;
  matchedBase?: string;
  pathInfo?: string;
}

const CASES: Case[] = [
  { routes: ['/hello'], path: '/hello', route: '/hello', pathInfo: '' },
  { routes: ['/hello'], path: '/hello/', route: '/hello' },
  { routes: ['/hello'], path: '/hello/world', route: undefined },
  { routes: ['/hello'], path: '/hell', route: undefined },
  { routes: ['/static/...'], path: '/static', route: '/static/...', matchedBase: '/static', pathInfo: '' },
  { routes: ['/static/...'], path: '/static/', route: '/static/...', matchedBase: '/static', pathInfo: '/' },
  { routes: ['/static/...'], path: '/static/css/site.css', route: '/static/...', matchedBase: '/static', pathInfo: '/css/site.css' },
  { routes: ['/static/...'], path: '/staticfile', route: undefined },
  // Exact beats wildcard, whatever the order.
  { routes: ['/api/...', '/api/health'], path: '/api/health', route: '/api/health' },
  { routes: ['/api/health', '/api/...'], path: '/api/health', route: '/api/health' },
  { routes: ['/api/health', '/api/...'], path: '/api/users', route: '/api/...' },
  // Longest prefix wins, whatever the order.
  { routes: ['/...', '/api/...', '/api/v2/...'], path: '/api/v2/users', route: '/api/v2/...', pathInfo: '/users' },
  { routes: ['/api/v2/...', '/api/...', '/...'], path: '/api/v1/users', route: '/api/...', pathInfo: '/v1/users' },
  { routes: ['/api/v2/...', '/...'], path: '/other', route: '/...', matchedBase: '', pathInfo: '/other' },
  // Parameters capture one non-empty, decoded segment; literals beat parameters.
  { routes: ['/users/:id'], path: '/users/42', route: '/users/:id', params: { id: '42' } },
  { routes: ['/users/:id'], path: '/users/a%20b', route: '/users/:id', params: { id: 'a b' } },
  { routes: ['/users/:id'], path: '/users/%E0%A4%A', route: '/users/:id', params: { id: '%E0%A4%A' } },
  { routes: ['/users/:id'], path: '/users/', route: undefined },
  { routes: ['/users/:id'], path: '/users/1/2', route: undefined },
  { routes: ['/users/:id', '/users/me'], path: '/users/me', route: '/users/me', params: {} },
  { routes: ['/users/me', '/users/:id'], path: '/users/you', route: '/users/:id', params: { id: 'you' } },
  { routes: ['/:org/:repo/...'], path: '/acme/spindle/issues/1', route: '/:org/:repo/...', params: { org: 'acme', repo: 'spindle' }, matchedBase: '/acme/spindle', pathInfo: '/issues/1' },
  { routes: ['/a/:x/c', '/a/b/:y'], path: '/a/b/c', route: '/a/b/:y', params: { y: 'c' } },
  { routes: [], path: '/', route: undefined },
  { routes: ['/'], path: '/', route: '/' },
];

describe('route table', () => {
  for (const c of CASES) {
    it(`${c.path} among [${c.routes.join(', ')}] → ${c.route ?? '404'}`, () => {
      const table = new RouteTable<string>();
      for (const route of c.routes) table.add(route, `value of ${route}`);
      const match = table.match(c.path);
      if (c.route === undefined) {
        assert.equal(match, undefined);
        return;
      }
      assert.ok(match, 'expected a match');
      assert.equal(match.route, c.route);
      assert.equal(match.value, `value of ${c.route}`);
      if (c.params) assert.deepEqual(match.params, c.params);
      if (c.matchedBase !== undefined) assert.equal(match.matchedBase, c.matchedBase);
      if (c.pathInfo !== undefined) assert.equal(match.pathInfo, c.pathInfo);
    });
  }

  it('throws a RouteConflictError naming both routes for equivalent routes', () => {
    const table = new RouteTable<number>();
    table.add('/a/:x', 1);
    assert.throws(() => table.add('/a/:y', 2), (err: unknown) => {
      assert.ok(err instanceof RouteConflictError);
      assert.equal(err.message, 'route "/a/:y" conflicts with route "/a/:x"');
      return true;
    });
    assert.deepEqual(findRouteConflicts(['/x/...', '/y', '/x/...', '/y/']), [
      ['/x/...', '/x/...'],
      ['/y', '/y/'],
    ]);
    assert.deepEqual(findRouteConflicts(['/x', '/x/...', '/:p']), []);
  });

  it('describes malformed routes', () => {
    assert.equal(validateRoute('/fine/:id/...'), undefined);
    assert.equal(validateRoute('no-slash'), 'a route must start with "/"');
    assert.equal(validateRoute('/a/.../b'), '"..." may only be the last segment');
    assert.equal(validateRoute('/a/b...'), '"..." must be a whole segment');
    assert.equal(validateRoute('/a/:'), 'invalid parameter ":": expected ":name"');
    assert.equal(validateRoute('/a//b'), 'empty path segment');
  });
});
