/**
 * Real components built from WAT for tests and benchmarks: jco `parse` → `componentEmbed`
 * against Spindle's WIT → `componentNew`. Each takes milliseconds to build, and each exercises
 * one behaviour (a reply, a trap, a handler error, a sandbox probe).
 *
 * Memory layout shared by the modules: static strings below 1024, the result area at 512, host
 * allocations from 4096 up (a bump allocator reset after each call by `cabi_post_handle`).
 * The event record arrives by pointer: data at +60/+64 (pointer, length).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';

const WIT_FILE = new URL('../../../wit/spindle.wit', import.meta.url);

/** Just enough of WASI 0.2's cli and filesystem interfaces for the sandbox probes. */
const TEST_WORLDS = `
world sandbox {
  include handler;
  import wasi:cli/environment@0.2.10;
  import wasi:cli/exit@0.2.10;
  import wasi:filesystem/preopens@0.2.10;
  import wasi:clocks/monotonic-clock@0.2.10;
}

package wasi:clocks@0.2.10 {
  interface monotonic-clock {
    now: func() -> u64;
  }
}

package wasi:cli@0.2.10 {
  interface environment {
    get-environment: func() -> list<tuple<string, string>>;
  }
  interface exit {
    exit: func(status: result);
  }
}

package wasi:filesystem@0.2.10 {
  interface types {
    resource descriptor {
      open-at: func(path-flags: path-flags, path: string, open-flags: open-flags, %flags: descriptor-flags) -> result<descriptor, error-code>;
      read: func(length: u64, offset: u64) -> result<tuple<list<u8>, bool>, error-code>;
    }
    flags path-flags { symlink-follow }
    flags open-flags { create, directory, exclusive, truncate }
    flags descriptor-flags { read, write, file-integrity-sync, data-integrity-sync, requested-write-sync, mutate-directory }
    enum error-code {
      access, would-block, already, bad-descriptor, busy, deadlock, quota, exist, file-too-large,
      illegal-byte-sequence, in-progress, interrupted, invalid, io, is-directory, loop, too-many-links,
      message-size, name-too-long, no-device, no-entry, no-lock, insufficient-memory, insufficient-space,
      not-directory, not-empty, not-recoverable, unsupported, no-tty, no-such-device, overflow,
      not-permitted, pipe, read-only, invalid-seek, text-file-busy, cross-device
    }
  }
  interface preopens {
    use types.{descriptor};
    get-directories: func() -> list<tuple<descriptor, string>>;
  }
}
`;

const PRELUDE = `
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $p))
  (func (export "cabi_post_handle") (param i32) (global.set $heap (i32.const 4096)))
  ;; ok(reply { status, headers: [] or one header at 256, body }) at 512
  (func $ok (param $status i32) (param $headers i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 0))
    (i32.store8 (i32.const 516) (i32.const 1))
    (i32.store16 (i32.const 518) (local.get $status))
    (i32.store (i32.const 520) (i32.const 256))
    (i32.store (i32.const 524) (local.get $headers))
    (i32.store8 (i32.const 528) (i32.const 1))
    (i32.store (i32.const 532) (local.get $ptr))
    (i32.store (i32.const 536) (local.get $len))
    (i32.const 512))
  ;; err(handler-error { case, message })
  (func $err (param $case i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 1))
    (i32.store8 (i32.const 516) (local.get $case))
    (i32.store (i32.const 520) (local.get $ptr))
    (i32.store (i32.const 524) (local.get $len))
    (i32.const 512))
  (func $data_ptr (param $ev i32) (result i32) (i32.load (i32.add (local.get $ev) (i32.const 60))))
  (func $data_len (param $ev i32) (result i32) (i32.load (i32.add (local.get $ev) (i32.const 64))))
  ;; The event's data read as a decimal number.
  (func $data_number (param $ev i32) (result i32)
    (local $i i32) (local $n i32)
    (block $done (loop $digits
      (br_if $done (i32.ge_u (local.get $i) (call $data_len (local.get $ev))))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
        (i32.sub (i32.load8_u (i32.add (call $data_ptr (local.get $ev)) (local.get $i))) (i32.const 48))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digits)))
    (local.get $n))
`;

/** The bytes of `text` as a WAT data string. */
function watString(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

/** One `content-type: text/plain` header, stored at 256 with its strings at 64 and 96. */
const TEXT_HEADER = `
  (data (i32.const 64) "content-type")
  (data (i32.const 96) "text/plain")
  (data (i32.const 256) "\\40\\00\\00\\00\\0c\\00\\00\\00\\60\\00\\00\\00\\0a\\00\\00\\00")
`;

function text(at: number, value: string): string {
  return `(data (i32.const ${at}) "${watString(value)}")`;
}

/** A `list<tuple<string, string>>` of `entries` stored at `listAt`, its strings from `stringsAt` on. */
function headerList(listAt: number, stringsAt: number, entries: Array<[string, string]>): string {
  const segments: string[] = [];
  const words: number[] = [];
  let at = stringsAt;
  for (const [name, value] of entries) {
    for (const part of [name, value]) {
      const length = new TextEncoder().encode(part).byteLength;
      segments.push(text(at, part));
      words.push(at, length);
      at += length;
    }
  }
  const bytes = new Uint8Array(new Uint32Array(words).buffer);
  segments.push(`(data (i32.const ${listAt}) "${[...bytes].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('')}")`);
  return segments.join('\n');
}

/** A reply that tries to frame the response itself: a short content-length hiding a second response, and hop-by-hop headers. */
const SMUGGLED = 'hello\r\n\r\nHTTP/1.1 200 OK\r\nx-injected: yes\r\ncontent-length: 0\r\n\r\n';

/** WAT bodies of the test components, by name. */
export const WAT_COMPONENTS = {
  /** 200, `content-type: text/plain`, "hello from wat". */
  hello: `${TEXT_HEADER} ${text(128, 'hello from wat')}
    (func (export "handle") (param $ev i32) (result i32)
      (call $ok (i32.const 200) (i32.const 1) (i32.const 128) (i32.const 14)))`,
  /** 200 with the event's data as the body. */
  echo: `${TEXT_HEADER}
    (func (export "handle") (param $ev i32) (result i32)
      (call $ok (i32.const 200) (i32.const 1) (call $data_ptr (local.get $ev)) (call $data_len (local.get $ev))))`,
  /** Traps on every call. */
  trap: `(func (export "handle") (param $ev i32) (result i32) unreachable)`,
  /** Traps when the event has data, else answers "ok": a trap followed by a good call. */
  'trap-on-data': `${text(128, 'ok')}
    (func (export "handle") (param $ev i32) (result i32)
      (if (call $data_len (local.get $ev)) (then unreachable))
      (call $ok (i32.const 200) (i32.const 0) (i32.const 128) (i32.const 2)))`,
  /** Counts calls in a global; the body is the count as 4 little-endian bytes. */
  counter: `(global $count (mut i32) (i32.const 0))
    (func (export "handle") (param $ev i32) (result i32)
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (i32.store (i32.const 1024) (global.get $count))
      (call $ok (i32.const 200) (i32.const 0) (i32.const 1024) (i32.const 4)))`,
  /** Fails with retry-later("try again"). */
  retry: `${text(128, 'try again')}
    (func (export "handle") (param $ev i32) (result i32) (call $err (i32.const 0) (i32.const 128) (i32.const 9)))`,
  /** Fails with give-up("bad input"). */
  'give-up': `${text(128, 'bad input')}
    (func (export "handle") (param $ev i32) (result i32) (call $err (i32.const 1) (i32.const 128) (i32.const 9)))`,
  /** Counts calls like `counter`, but never returns when the event has data. */
  'loop-on-data': `(global $count (mut i32) (i32.const 0))
    (func (export "handle") (param $ev i32) (result i32)
      (if (call $data_len (local.get $ev)) (then (loop $l (br $l))))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (i32.store (i32.const 1024) (global.get $count))
      (call $ok (i32.const 200) (i32.const 0) (i32.const 1024) (i32.const 4)))`,
  /** Never returns. */
  loop: `(func (export "handle") (param $ev i32) (result i32) (loop $l (br $l)) unreachable)`,
  /** Grows memory until it cannot, then traps. */
  'memory-bomb': `(func (export "handle") (param $ev i32) (result i32)
      (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable)`,
  /**
   * Grows its memory by three pages (192 KiB) on every event and traps when it cannot; replies
   * with its call count like `counter`: a guest whose memory grows slowly across events.
   */
  'grow-per-event': `(global $count (mut i32) (i32.const 0))
    (func (export "handle") (param $ev i32) (result i32)
      (if (i32.eq (memory.grow (i32.const 3)) (i32.const -1)) (then unreachable))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (i32.store (i32.const 1024) (global.get $count))
      (call $ok (i32.const 200) (i32.const 0) (i32.const 1024) (i32.const 4)))`,
  /** Replies with forged framing and hop-by-hop headers and a body holding a second response. */
  forged: `${headerList(256, 600, [
    ['content-length', '2'],
    ['x-spindle-event-id', 'forged'],
    ['connection', 'upgrade'],
    ['upgrade', 'websocket'],
    ['transfer-encoding', 'chunked'],
    ['x-guest', 'kept'],
  ])}
    ${text(800, SMUGGLED)}
    (func (export "handle") (param $ev i32) (result i32)
      (call $ok (i32.const 200) (i32.const 6) (i32.const 800) (i32.const ${SMUGGLED.length})))`,
  /** Replies with the status written in decimal in the event's data, whatever it is. */
  status: `(func (export "handle") (param $ev i32) (result i32)
      (call $ok (call $data_number (local.get $ev)) (i32.const 0) (i32.const 0) (i32.const 0)))`,
} satisfies Record<string, string>;

/** Components of the `sandbox` world, probing what WASI lets them see. */
export const SANDBOX_COMPONENTS = {
  /** status = 200 + number of environment variables; body = the first variable's name. */
  env: `(import "wasi:cli/environment@0.2.10" "get-environment" (func $getenv (param i32)))
    (func (export "handle") (param $ev i32) (result i32)
      (local $list i32) (local $n i32)
      (call $getenv (i32.const 2048))
      (local.set $list (i32.load (i32.const 2048)))
      (local.set $n (i32.load (i32.const 2052)))
      (if (result i32) (local.get $n)
        (then (call $ok (i32.add (i32.const 200) (local.get $n)) (i32.const 0) (i32.load (local.get $list)) (i32.load offset=4 (local.get $list))))
        (else (call $ok (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0)))))`,
  /** Calls wasi:cli/exit with an error status. */
  exit: `(import "wasi:cli/exit@0.2.10" "exit" (func $exit (param i32)))
    (func (export "handle") (param $ev i32) (result i32) (call $exit (i32.const 1)) unreachable)`,
  /**
   * Opens the path in the event's data under the first preopened directory and answers with
   * the file's first 256 bytes. 404 when nothing is preopened; 403 with the error code's
   * index as the body's only byte when opening or reading fails.
   */
  files: `(import "wasi:filesystem/preopens@0.2.10" "get-directories" (func $dirs (param i32)))
    (import "wasi:filesystem/types@0.2.10" "[method]descriptor.open-at" (func $open (param i32 i32 i32 i32 i32 i32 i32)))
    (import "wasi:filesystem/types@0.2.10" "[method]descriptor.read" (func $read (param i32 i64 i64 i32)))
    (func (export "handle") (param $ev i32) (result i32)
      (call $dirs (i32.const 2048))
      (if (i32.eqz (i32.load (i32.const 2052)))
        (then (return (call $ok (i32.const 404) (i32.const 0) (i32.const 0) (i32.const 0)))))
      (call $open (i32.load (i32.load (i32.const 2048))) (i32.const 1)
        (call $data_ptr (local.get $ev)) (call $data_len (local.get $ev)) (i32.const 0) (i32.const 1) (i32.const 2100))
      (if (i32.load8_u (i32.const 2100))
        (then (return (call $ok (i32.const 403) (i32.const 0) (i32.const 2104) (i32.const 1)))))
      (call $read (i32.load (i32.const 2104)) (i64.const 256) (i64.const 0) (i32.const 2200))
      (if (i32.load8_u (i32.const 2200))
        (then (return (call $ok (i32.const 403) (i32.const 0) (i32.const 2204) (i32.const 1)))))
      (call $ok (i32.const 200) (i32.const 0) (i32.load (i32.const 2204)) (i32.load (i32.const 2208))))`,
  /** Busy-waits the number of milliseconds written in decimal in the event's data, then echoes it. */
  spin: `(import "wasi:clocks/monotonic-clock@0.2.10" "now" (func $now (result i64)))
    (func (export "handle") (param $ev i32) (result i32)
      (local $i i32) (local $ms i64) (local $until i64)
      (block $done (loop $digits
        (br_if $done (i32.ge_u (local.get $i) (call $data_len (local.get $ev))))
        (local.set $ms (i64.add (i64.mul (local.get $ms) (i64.const 10))
          (i64.extend_i32_u (i32.sub (i32.load8_u (i32.add (call $data_ptr (local.get $ev)) (local.get $i))) (i32.const 48)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digits)))
      (local.set $until (i64.add (call $now) (i64.mul (local.get $ms) (i64.const 1000000))))
      (loop $wait (br_if $wait (i64.lt_u (call $now) (local.get $until))))
      (call $ok (i32.const 200) (i32.const 0) (call $data_ptr (local.get $ev)) (call $data_len (local.get $ev))))`,
  /**
   * Makes key-value `get("bench", "counter")` the number of times written in decimal in the
   * event's data and answers with each call's time in nanoseconds, as little-endian u32s; traps
   * if a call fails. Measures what a host call costs a guest whose own side costs nothing.
   */
  'kv-get-timed': `(import "spindle:app/key-value@0.1.0" "get" (func $get (param i32 i32 i32 i32 i32)))
    (import "wasi:clocks/monotonic-clock@0.2.10" "now" (func $now (result i64)))
    ${text(128, 'bench')} ${text(136, 'counter')}
    (func (export "handle") (param $ev i32) (result i32)
      (local $i i32) (local $n i32) (local $started i64)
      (local.set $n (call $data_number (local.get $ev)))
      ;; The times go from 8192 up; the allocator's area below is reset after every call.
      (block $room (loop $grow
        (br_if $room (i32.le_u (i32.add (i32.const 8192) (i32.shl (local.get $n) (i32.const 2))) (i32.shl (memory.size) (i32.const 16))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (br $grow)))
      (local.set $i (i32.const 0))
      (block $end (loop $calls
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $started (call $now))
        (call $get (i32.const 128) (i32.const 5) (i32.const 136) (i32.const 7) (i32.const 2000))
        (i32.store (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 2))) (i32.wrap_i64 (i64.sub (call $now) (local.get $started))))
        (if (i32.load8_u (i32.const 2000)) (then unreachable))
        (global.set $heap (i32.const 4096))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $calls)))
      (call $ok (i32.const 200) (i32.const 0) (i32.const 8192) (i32.shl (local.get $n) (i32.const 2))))`,
} satisfies Record<string, string>;

export type WatComponentName = keyof typeof WAT_COMPONENTS | keyof typeof SANDBOX_COMPONENTS;

/** Builds component `name` and returns its bytes. */
export async function buildWatComponent(name: WatComponentName): Promise<Uint8Array> {
  const sandbox = name in SANDBOX_COMPONENTS;
  const body = sandbox ? SANDBOX_COMPONENTS[name as keyof typeof SANDBOX_COMPONENTS] : WAT_COMPONENTS[name as keyof typeof WAT_COMPONENTS];
  return buildWatComponentFor(body, sandbox ? 'sandbox' : 'handler');
}

/**
 * Builds a component from a WAT `body` (its imports first) for `world`, declared in
 * `extraWit` beside Spindle's WIT and the test worlds: for components that do not fit Spindle.
 */
export async function buildWatComponentFor(body: string, world: string, extraWit = ''): Promise<Uint8Array> {
  // Imports must come first in a module; a body with any starts with them.
  const [imports, rest] = body.trimStart().startsWith('(import') ? splitImports(body) : ['', body];
  const core = await parse(`(module ${imports} ${PRELUDE} ${rest})`);
  const witSource = (await readFile(WIT_FILE, 'utf8')) + TEST_WORLDS + extraWit;
  return componentNew(await componentEmbed({ binary: core, witSource, world }));
}

function splitImports(body: string): [string, string] {
  const at = body.indexOf('(func (export');
  return [body.slice(0, at), body.slice(at)];
}

/** Builds component `name` into `dir/<name>.wasm` and returns the path. */
export async function writeWatComponent(dir: string, name: WatComponentName): Promise<string> {
  const path = join(dir, `${name}.wasm`);
  await writeFile(path, await buildWatComponent(name));
  return path;
}
