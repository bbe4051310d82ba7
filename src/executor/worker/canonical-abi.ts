/**
 * The pieces of the canonical ABI that Spindle's own lowerings share (`worlds/handler-abi.ts`
 * for the `handle` export, `capability-abi.ts` for the `spindle:app/*` imports), written as
 * jco's glue writes them, so a guest sees the same calls to its allocator either way.
 */

/** A guest's `cabi_realloc`. */
export type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

/** Where the canonical ABI reads and writes a core instance's values. */
export interface GuestAllocator {
  memory: WebAssembly.Memory;
  realloc: Realloc;
}

const encoder = new TextEncoder();
/** As jco's: not fatal (bad UTF-8 becomes U+FFFD) and a leading byte order mark is dropped. */
export const utf8Decoder = new TextDecoder();

/**
 * Writes `text` as UTF-8 into guest memory, in one allocation of its exact length; an empty
 * string takes no allocation. Anything but a string is refused with jco's words.
 */
export function lowerString(guest: GuestAllocator, text: unknown): [ptr: number, len: number] {
  if (typeof text !== 'string') throw new TypeError(`expected a string, received [${typeof text}]`);
  if (text.length === 0) return [1, 0];
  const length = Buffer.byteLength(text, 'utf8');
  const ptr = guest.realloc(0, 0, 1, length);
  encoder.encodeInto(text, new Uint8Array(guest.memory.buffer, ptr, length));
  return [ptr, length];
}
