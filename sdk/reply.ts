/** Reply helpers: what a handler returns, in the world's `reply` shape. */
import type { Reply } from 'spindle:app/types@0.1.0';

export type { Reply };

/** Extra response headers, by name. */
export type Headers = Record<string, string>;

const encoder = new TextEncoder();

function withBody(status: number, contentType: string, body: Uint8Array, headers: Headers): Reply {
  return { status, headers: [['content-type', contentType], ...Object.entries(headers)], body };
}

/** `value` as JSON. */
export function json(status: number, value: unknown, headers: Headers = {}): Reply {
  return withBody(status, 'application/json', encoder.encode(JSON.stringify(value)), headers);
}

/** Plain UTF-8 text. */
export function text(status: number, body: string, headers: Headers = {}): Reply {
  return withBody(status, 'text/plain; charset=utf-8', encoder.encode(body), headers);
}

/** A UTF-8 HTML page. */
export function html(status: number, body: string, headers: Headers = {}): Reply {
  return withBody(status, 'text/html; charset=utf-8', encoder.encode(body), headers);
}

/** Raw bytes with the given content type. */
export function bytes(status: number, body: Uint8Array, contentType = 'application/octet-stream', headers: Headers = {}): Reply {
  return withBody(status, contentType, body, headers);
}

/** A status without a body. */
export function status(code: number, headers: Headers = {}): Reply {
  return { status: code, headers: Object.entries(headers) };
}

/** An empty reply, for events nobody waits on an answer to (pub/sub, cron). */
export function done(): Reply {
  return { headers: [] };
}
