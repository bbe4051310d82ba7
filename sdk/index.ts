/**
 * Spindle's SDK for handlers, bundled into each component by `spindle build`. Only what a
 * handler imports ends up in its component.
 */
/// <reference path="./wit/handler.d.ts" />
export { handler, onHttp, onMessage, onJob, onTick, type Handle, type HandlerResult } from './handler.js';
export type { SpindleEvent, EventKind, HttpEvent, HttpRequest, MessageEvent, JobEvent, TickEvent, WireEvent } from './event.js';
export { json, text, html, bytes, status, done, type Reply, type Headers } from './reply.js';
export { RetryLater, GiveUp } from './errors.js';
export { kv, publish, enqueue, variable, log, type Payload, type SetOptions, type EnqueueOptions, type Level } from './capabilities.js';
