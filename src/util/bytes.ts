/** Byte helpers shared by the binary rewriters and the HTTP paths. */

/** `parts` joined into one new array that owns exactly its bytes. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
