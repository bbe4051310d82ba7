/**
 * Random (version 4) UUIDs as flat strings. Node 20's `crypto.randomUUID` builds its string by
 * sixteen concatenations, and V8 keeps such a string as a tree of pieces until something
 * flattens it: about 450 bytes of heap for each id, which a flood of waiting events holds by
 * the hundred thousand. Here the characters are written to a buffer and read back as one string.
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes fetched at once, for this many ids. */
const IDS_PER_FILL = 256;
const random = Buffer.alloc(16 * IDS_PER_FILL);
let next = random.length;
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where each of the 16 bytes goes in the 36 characters; the others are dashes. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
for (const dash of [8, 13, 18, 23]) text[dash] = 0x2d;

export function randomUuid(): string {
  if (next === random.length) {
    randomFillSync(random);
    next = 0;
  }
  for (let i = 0; i < 16; i++) {
    let byte = random[next + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    text[AT[i]!] = HEX[byte >> 4]!;
    text[AT[i]! + 1] = HEX[byte & 0x0f]!;
  }
  next += 16;
  return text.toString('latin1', 0, 36);
}
