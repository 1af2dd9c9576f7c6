/** Bytes a uint32 varint takes on the wire (1–5). */
export function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (an unsigned 32-bit integer) as a varint at `offset`; returns the offset after it. */
export function writeVarint32(target: Uint8Array, offset: number, value: number): number {
  let rest = value >>> 0;
  let at = offset;
  while (rest >= 0x80) {
    target[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  target[at++] = rest;
  return at;
}
