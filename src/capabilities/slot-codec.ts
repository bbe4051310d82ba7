/**
 * The encoding of host calls and their replies inside a call slot's shared memory. `v8.serialize`
 * costs ~10 us a round trip, most of a call's budget; the values a capability call carries are
 * few (text, bytes, integers, lists of them), so a tagged layout written straight into the slot
 * costs a fraction of that. Encoding stops, instead of growing anything, once the slot is full:
 * the caller sends what does not fit another way.
 */

/** A value a call slot carries. */
export type SlotValue = undefined | null | boolean | number | bigint | string | Uint8Array | SlotValue[];

const enum Tag {
  Undefined,
  Null,
  False,
  True,
  Number,
  BigInt,
  String,
  Bytes,
  Array,
}

/** Writes `value` into `buf` from offset 0; the bytes written, or undefined when it does not fit. */
export function encodeSlotValue(value: SlotValue, buf: Buffer): number | undefined {
  const end = write(value, buf, 0);
  return end < 0 ? undefined : end;
}

/** Reads the value `encodeSlotValue` wrote into the first `length` bytes of `buf`; bytes come out copied. */
export function decodeSlotValue(buf: Buffer, length: number): SlotValue {
  const reader = { at: 0 };
  const value = read(buf, reader);
  if (reader.at !== length) throw new Error(`a call slot held ${length} bytes, its value ${reader.at}`);
  return value;
}

/** Writes `text` with its byte length before it; -1 when it does not fit. */
function writeText(tag: Tag, text: string, buf: Buffer, at: number): number {
  const room = buf.length - at - 5;
  if (room < 0) return -1;
  // `write` truncates silently, so the exact length is measured only when it could matter.
  if (text.length * 3 > room && Buffer.byteLength(text) > room) return -1;
  buf[at] = tag;
  const bytes = buf.write(text, at + 5, 'utf8');
  buf.writeUInt32LE(bytes, at + 1);
  return at + 5 + bytes;
}

function write(value: SlotValue, buf: Buffer, at: number): number {
  if (at < 0 || at >= buf.length) return -1;
  switch (typeof value) {
    case 'undefined':
      buf[at] = Tag.Undefined;
      return at + 1;
    case 'boolean':
      buf[at] = value ? Tag.True : Tag.False;
      return at + 1;
    case 'number':
      if (at + 9 > buf.length) return -1;
      buf[at] = Tag.Number;
      buf.writeDoubleLE(value, at + 1);
      return at + 9;
    case 'bigint':
      return writeText(Tag.BigInt, value.toString(), buf, at);
    case 'string':
      return writeText(Tag.String, value, buf, at);
  }
  if (value === null) {
    buf[at] = Tag.Null;
    return at + 1;
  }
  if (value instanceof Uint8Array) {
    if (at + 5 + value.byteLength > buf.length) return -1;
    buf[at] = Tag.Bytes;
    buf.writeUInt32LE(value.byteLength, at + 1);
    buf.set(value, at + 5);
    return at + 5 + value.byteLength;
  }
  if (Array.isArray(value)) {
    if (at + 5 > buf.length) return -1;
    buf[at] = Tag.Array;
    buf.writeUInt32LE(value.length, at + 1);
    let next = at + 5;
    for (const item of value) {
      next = write(item, buf, next);
      if (next < 0) return -1;
    }
    return next;
  }
  throw new TypeError(`a call slot cannot carry ${Object.prototype.toString.call(value)}`);
}

function read(buf: Buffer, reader: { at: number }): SlotValue {
  const tag = buf[reader.at] as Tag;
  const at = reader.at + 1;
  switch (tag) {
    case Tag.Undefined:
    case Tag.Null:
    case Tag.False:
    case Tag.True:
      reader.at = at;
      return tag === Tag.Undefined ? undefined : tag === Tag.Null ? null : tag === Tag.True;
    case Tag.Number:
      reader.at = at + 8;
      return buf.readDoubleLE(at);
    case Tag.BigInt:
    case Tag.String: {
      const end = at + 4 + buf.readUInt32LE(at);
      reader.at = end;
      const text = buf.toString('utf8', at + 4, end);
      return tag === Tag.BigInt ? BigInt(text) : text;
    }
    case Tag.Bytes: {
      const end = at + 4 + buf.readUInt32LE(at);
      reader.at = end;
      // A plain Uint8Array of its own: the slot's memory is reused by the next call.
      const bytes = new Uint8Array(end - at - 4);
      bytes.set(buf.subarray(at + 4, end));
      return bytes;
    }
    case Tag.Array: {
      const items: SlotValue[] = new Array(buf.readUInt32LE(at));
      reader.at = at + 4;
      for (let i = 0; i < items.length; i++) items[i] = read(buf, reader);
      return items;
    }
    default:
      throw new Error(`a call slot holds an unknown tag ${tag as number}`);
  }
}
