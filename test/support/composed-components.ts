/**
 * A dependency and a dependent built from WAT for the composition tests and bench: `renderer`
 * exports `acme:text/render@0.1.0`, whose functions pass strings, records, lists, variants,
 * options and results, count calls, trap, and probe the dependency's own sandbox; `user` is a
 * Spindle handler importing that interface. The event's first byte picks what `user` calls,
 * the rest is the argument:
 *
 * - `s<text>` shout(text): ok → 200 with the text, err → 400 with the error ("empty")
 * - `p<text>` echo-page({ title: text, tags: [text, text] }): status 200 + tags, body the title
 * - `d<text>` describe(named(text)): 200 with the text; `c` describe(circle(2.5)): 200 "circle";
 *   `e` describe(empty): none → 204
 * - `n` twice(some(21)): status 200 + the answer (242)
 * - `k` count(): body the dependent's own call count then the dependency's, 4 bytes each
 * - `t` boom(): the dependency traps; `w` hang(): it never returns; `m` hog(): it grows its
 *   memory until it cannot, then traps
 * - `v` env-count(), `f` dir-count(): status 200 + the count the dependency sees
 * - `g` greeting(): the variable "greeting" as the dependency reads it: 200 with it, or 403
 *   with the error's message
 * - `h` reach(): 200 when the dependency may send a request to https://example.invalid/, 403
 *   when it is refused (nothing is sent either way: a request goes out when its response is
 *   asked for)
 * - `x<text>` refuse(text): err(denied(text)), of a type the interface takes from
 *   `acme:text/errors`: status 400 + the case, body the text
 * - `l` local(): the same work as `s`, done inside `user` itself (for the bench)
 */
import { buildWatComponentFor } from './wat-components.js';

export const RENDER_WIT = `
package acme:text@0.1.0 {
  interface errors {
    variant failure { denied(string), invalid(string) }
  }
  interface render {
    use errors.{failure};
    record page { title: string, tags: list<string> }
    variant shape { circle(f64), named(string), empty }
    shout: func(s: string) -> result<string, string>;
    echo-page: func(p: page) -> page;
    describe: func(s: shape) -> option<string>;
    twice: func(n: option<u32>) -> option<u32>;
    count: func() -> u32;
    boom: func();
    env-count: func() -> u32;
    dir-count: func() -> u32;
    greeting: func() -> result<string, string>;
    reach: func() -> bool;
    refuse: func(reason: string) -> result<_, failure>;
    hang: func();
    hog: func();
  }
}

package wasi:http@0.2.10 {
  interface types {
    resource fields { constructor(); }
    resource request-options;
    resource future-incoming-response;
    resource outgoing-request {
      constructor(headers: fields);
      set-authority: func(authority: option<string>) -> result;
      set-path-with-query: func(path-with-query: option<string>) -> result;
    }
    variant error-code { DNS-timeout, HTTP-request-denied, internal-error(option<string>) }
  }
  interface outgoing-handler {
    use types.{outgoing-request, request-options, future-incoming-response, error-code};
    handle: func(request: outgoing-request, options: option<request-options>) -> result<future-incoming-response, error-code>;
  }
}
world renderer {
  import wasi:cli/environment@0.2.10;
  import wasi:filesystem/preopens@0.2.10;
  import variables;
  import wasi:http/outgoing-handler@0.2.10;
  export acme:text/render@0.1.0;
}
world user {
  include handler;
  import acme:text/render@0.1.0;
}
`;

const R = 'acme:text/render@0.1.0';

/** The dependency. Results go in a return area at 512; "empty" at 128, "circle" at 160, "greeting" at 192. */
export const RENDERER = `(import "wasi:cli/environment@0.2.10" "get-environment" (func $getenv (param i32)))
  (import "wasi:filesystem/preopens@0.2.10" "get-directories" (func $dirs (param i32)))
  (import "spindle:app/variables@0.1.0" "get" (func $var (param i32 i32 i32)))
  (import "wasi:http/types@0.2.10" "[constructor]fields" (func $fields (result i32)))
  (import "wasi:http/types@0.2.10" "[constructor]outgoing-request" (func $request (param i32) (result i32)))
  (import "wasi:http/types@0.2.10" "[method]outgoing-request.set-authority" (func $authority (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.10" "[method]outgoing-request.set-path-with-query" (func $path (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/outgoing-handler@0.2.10" "handle" (func $send (param i32 i32 i32 i32)))
  (data (i32.const 224) "example.invalid")
  (data (i32.const 240) "/")
  (data (i32.const 128) "empty")
  (data (i32.const 160) "circle")
  (data (i32.const 192) "greeting")
  (global $count (mut i32) (i32.const 0))
  (func (export "${R}#shout") (param $p i32) (param $l i32) (result i32)
    (if (i32.eqz (local.get $l))
      (then (i32.store8 (i32.const 512) (i32.const 1)) (i32.store (i32.const 516) (i32.const 128)) (i32.store (i32.const 520) (i32.const 5)))
      (else (i32.store8 (i32.const 512) (i32.const 0)) (i32.store (i32.const 516) (local.get $p)) (i32.store (i32.const 520) (local.get $l))))
    (i32.const 512))
  (func (export "${R}#echo-page") (param i32 i32 i32 i32) (result i32)
    (i32.store (i32.const 512) (local.get 0)) (i32.store (i32.const 516) (local.get 1))
    (i32.store (i32.const 520) (local.get 2)) (i32.store (i32.const 524) (local.get 3))
    (i32.const 512))
  (func (export "${R}#describe") (param $case i32) (param $payload i64) (param $l i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 1))
    (if (i32.eqz (local.get $case))
      (then (i32.store (i32.const 516) (i32.const 160)) (i32.store (i32.const 520) (i32.const 6))))
    (if (i32.eq (local.get $case) (i32.const 1))
      (then (i32.store (i32.const 516) (i32.wrap_i64 (local.get $payload))) (i32.store (i32.const 520) (local.get $l))))
    (if (i32.eq (local.get $case) (i32.const 2)) (then (i32.store8 (i32.const 512) (i32.const 0))))
    (i32.const 512))
  (func (export "${R}#twice") (param $some i32) (param $n i32) (result i32)
    (i32.store8 (i32.const 512) (local.get $some))
    (i32.store (i32.const 516) (i32.mul (local.get $n) (i32.const 2)))
    (i32.const 512))
  (func (export "${R}#count") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))
  (func (export "${R}#boom") unreachable)
  (func (export "${R}#env-count") (result i32)
    (call $getenv (i32.const 2048)) (i32.load (i32.const 2052)))
  (func (export "${R}#dir-count") (result i32)
    (call $dirs (i32.const 2048)) (i32.load (i32.const 2052)))
  (func (export "${R}#greeting") (result i32)
    (call $var (i32.const 192) (i32.const 8) (i32.const 2048))
    (if (i32.load8_u (i32.const 2048))
      (then (i32.store8 (i32.const 512) (i32.const 1)) (i32.store (i32.const 516) (i32.load (i32.const 2056))) (i32.store (i32.const 520) (i32.load (i32.const 2060))))
      (else (i32.store8 (i32.const 512) (i32.const 0)) (i32.store (i32.const 516) (i32.load (i32.const 2052))) (i32.store (i32.const 520) (i32.load (i32.const 2056)))))
    (i32.const 512))
  (func (export "${R}#reach") (result i32)
    (local $req i32)
    (local.set $req (call $request (call $fields)))
    (drop (call $authority (local.get $req) (i32.const 1) (i32.const 224) (i32.const 15)))
    (drop (call $path (local.get $req) (i32.const 1) (i32.const 240) (i32.const 1)))
    (call $send (local.get $req) (i32.const 0) (i32.const 0) (i32.const 2048))
    (i32.eqz (i32.load8_u (i32.const 2048))))
  (func (export "${R}#hang") (loop $l (br $l)))
  (func (export "${R}#hog") (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable)
  (func (export "${R}#refuse") (param $p i32) (param $l i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 1)) (i32.store8 (i32.const 516) (i32.const 0))
    (i32.store (i32.const 520) (local.get $p)) (i32.store (i32.const 524) (local.get $l))
    (i32.const 512))
  (func (export "cabi_post_${R}#shout") (param i32) (global.set $heap (i32.const 4096)))
  (func (export "cabi_post_${R}#echo-page") (param i32) (global.set $heap (i32.const 4096)))
  (func (export "cabi_post_${R}#describe") (param i32) (global.set $heap (i32.const 4096)))
  (func (export "cabi_post_${R}#greeting") (param i32) (global.set $heap (i32.const 4096)))`;

/** The dependent: results of its imports land at 2048, the page's tags are built at 2200. */
export const USER = `(import "${R}" "shout" (func $shout (param i32 i32 i32)))
  (import "${R}" "echo-page" (func $echo (param i32 i32 i32 i32 i32)))
  (import "${R}" "describe" (func $describe (param i32 i64 i32 i32)))
  (import "${R}" "twice" (func $twice (param i32 i32 i32)))
  (import "${R}" "count" (func $count (result i32)))
  (import "${R}" "boom" (func $boom))
  (import "${R}" "env-count" (func $envs (result i32)))
  (import "${R}" "dir-count" (func $dirs (result i32)))
  (import "${R}" "greeting" (func $greeting (param i32)))
  (import "${R}" "reach" (func $reach (result i32)))
  (import "${R}" "refuse" (func $refuse (param i32 i32 i32)))
  (import "${R}" "hang" (func $hang))
  (import "${R}" "hog" (func $hog))
  (global $own (mut i32) (i32.const 0))
  (func $text (param $status i32) (result i32)
    (call $ok (local.get $status) (i32.const 0) (i32.load (i32.const 2052)) (i32.load (i32.const 2056))))
  (func $local (param $p i32) (param $l i32)
    (if (i32.eqz (local.get $l))
      (then (i32.store8 (i32.const 2048) (i32.const 1)) (i32.store (i32.const 2052) (i32.const 0)) (i32.store (i32.const 2056) (i32.const 0)))
      (else (i32.store8 (i32.const 2048) (i32.const 0)) (i32.store (i32.const 2052) (local.get $p)) (i32.store (i32.const 2056) (local.get $l)))))
  (func (export "handle") (param $ev i32) (result i32)
    (local $op i32) (local $p i32) (local $l i32)
    (local.set $op (i32.load8_u (call $data_ptr (local.get $ev))))
    (local.set $p (i32.add (call $data_ptr (local.get $ev)) (i32.const 1)))
    (local.set $l (i32.sub (call $data_len (local.get $ev)) (i32.const 1)))
    (if (i32.eq (local.get $op) (i32.const 115)) (then
      (call $shout (local.get $p) (local.get $l) (i32.const 2048))
      (return (call $text (select (i32.const 400) (i32.const 200) (i32.load8_u (i32.const 2048)))))))
    (if (i32.eq (local.get $op) (i32.const 108)) (then
      (call $local (local.get $p) (local.get $l))
      (return (call $text (select (i32.const 400) (i32.const 200) (i32.load8_u (i32.const 2048)))))))
    (if (i32.eq (local.get $op) (i32.const 112)) (then
      (i32.store (i32.const 2200) (local.get $p)) (i32.store (i32.const 2204) (local.get $l))
      (i32.store (i32.const 2208) (local.get $p)) (i32.store (i32.const 2212) (local.get $l))
      (call $echo (local.get $p) (local.get $l) (i32.const 2200) (i32.const 2) (i32.const 2044))
      (return (call $ok (i32.add (i32.const 200) (i32.load (i32.const 2056))) (i32.const 0) (i32.load (i32.const 2044)) (i32.load (i32.const 2048))))))
    (if (i32.eq (local.get $op) (i32.const 100)) (then
      (call $describe (i32.const 1) (i64.extend_i32_u (local.get $p)) (local.get $l) (i32.const 2048))
      (return (call $text (i32.const 200)))))
    (if (i32.eq (local.get $op) (i32.const 99)) (then
      (call $describe (i32.const 0) (i64.reinterpret_f64 (f64.const 2.5)) (i32.const 0) (i32.const 2048))
      (return (call $text (i32.const 200)))))
    (if (i32.eq (local.get $op) (i32.const 101)) (then
      (call $describe (i32.const 2) (i64.const 0) (i32.const 0) (i32.const 2048))
      (return (call $ok (select (i32.const 200) (i32.const 204) (i32.load8_u (i32.const 2048))) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 110)) (then
      (call $twice (i32.const 1) (i32.const 21) (i32.const 2048))
      (return (call $ok (i32.add (i32.const 200) (i32.load (i32.const 2052))) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 107)) (then
      (global.set $own (i32.add (global.get $own) (i32.const 1)))
      (i32.store (i32.const 2048) (global.get $own))
      (i32.store (i32.const 2052) (call $count))
      (return (call $ok (i32.const 200) (i32.const 0) (i32.const 2048) (i32.const 8)))))
    (if (i32.eq (local.get $op) (i32.const 116)) (then (call $boom)))
    (if (i32.eq (local.get $op) (i32.const 119)) (then (call $hang)))
    (if (i32.eq (local.get $op) (i32.const 109)) (then (call $hog)))
    (if (i32.eq (local.get $op) (i32.const 118)) (then
      (return (call $ok (i32.add (i32.const 200) (call $envs)) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 102)) (then
      (return (call $ok (i32.add (i32.const 200) (call $dirs)) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 103)) (then
      (call $greeting (i32.const 2048))
      (return (call $text (select (i32.const 403) (i32.const 200) (i32.load8_u (i32.const 2048)))))))
    (if (i32.eq (local.get $op) (i32.const 104)) (then
      (return (call $ok (select (i32.const 200) (i32.const 403) (call $reach)) (i32.const 0) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 120)) (then
      (call $refuse (local.get $p) (local.get $l) (i32.const 2048))
      (return (call $ok (i32.add (i32.const 400) (i32.load8_u (i32.const 2052))) (i32.const 0) (i32.load (i32.const 2056)) (i32.load (i32.const 2060))))))
    (call $ok (i32.const 404) (i32.const 0) (i32.const 0) (i32.const 0)))`;

export function buildRenderer(): Promise<Uint8Array> {
  return buildWatComponentFor(RENDERER, 'renderer', RENDER_WIT);
}

export function buildUser(): Promise<Uint8Array> {
  return buildWatComponentFor(USER, 'user', RENDER_WIT);
}
