/**
 * Job payloads and return values as BullMQ stores them: JSON. Bytes that are UTF-8 JSON are
 * stored as that JSON value, so jobs stay readable and interoperate with plain BullMQ
 * producers and consumers; anything else is wrapped as base64.
 */
const BYTES_KEY = 'spindle_bytes';
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export function bytesToJobValue(bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined) return null;
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return { [BYTES_KEY]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}

export function jobValueToBytes(value: unknown): Uint8Array {
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 1 && typeof (value as Record<string, unknown>)[BYTES_KEY] === 'string') {
    return new Uint8Array(Buffer.from((value as Record<string, string>)[BYTES_KEY]!, 'base64'));
  }
  return encoder.encode(JSON.stringify(value ?? null));
}
