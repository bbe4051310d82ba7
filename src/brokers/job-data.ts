/**
 * Job data and return values as BullMQ stores them: JSON, so jobs stay readable and
 * interoperate with plain BullMQ producers and consumers. Bytes that are UTF-8 JSON are stored
 * as that JSON value; anything else is stored as base64, marked so that nothing else is ever
 * taken for it.
 *
 * Job data is marked by the job's name: bytes go in a job named `BYTES_JOB_NAME` whose data is
 * the base64 string, and only such jobs are decoded. Every other job's data is the JSON it is,
 * whoever added it, so a plain producer's `{"spindle_bytes": "..."}` stays that object.
 *
 * A return value has no name of its own, so the wrapper `{"spindle_bytes": "<base64>"}` marks
 * bytes there, and Spindle wraps every return value of that shape, JSON included: whatever a
 * Spindle consumer stored reads back as the bytes it was given.
 */

/** The name of a Spindle job whose data is JSON. */
export const JSON_JOB_NAME = 'job';
/** The name reserved for a Spindle job whose data is bytes, as a base64 string. */
export const BYTES_JOB_NAME = 'spindle.bytes';

const RETURN_BYTES_KEY = 'spindle_bytes';
// Fatal, so bytes that are not UTF-8 are never read as text; a byte order mark is kept, so
// JSON.parse refuses it instead of the mark being dropped on the way.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** A job as BullMQ's `add` takes it. */
export interface JobPayload {
  name: string;
  data: unknown;
}

function parseJson(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(decoder.decode(bytes)) };
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value ?? null));
}

export function bytesToJob(bytes: Uint8Array): JobPayload {
  const json = parseJson(bytes);
  return json ? { name: JSON_JOB_NAME, data: json.value } : { name: BYTES_JOB_NAME, data: base64(bytes) };
}

export function jobToBytes(name: string, data: unknown): Uint8Array {
  return name === BYTES_JOB_NAME && typeof data === 'string' ? fromBase64(data) : jsonBytes(data);
}

function isReturnWrapper(value: unknown): value is Record<typeof RETURN_BYTES_KEY, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>)[RETURN_BYTES_KEY] === 'string'
  );
}

export function bytesToReturnValue(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined) return null;
  const json = parseJson(bytes);
  return json && !isReturnWrapper(json.value) ? json.value : { [RETURN_BYTES_KEY]: base64(bytes) };
}

export function returnValueToBytes(value: unknown): Uint8Array {
  return isReturnWrapper(value) ? fromBase64(value[RETURN_BYTES_KEY]) : jsonBytes(value);
}
