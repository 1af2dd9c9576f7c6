/**
 * A small seedable pseudo-random generator (sfc32: 128 bits of state, passes
 * PractRand far beyond what placement draws). Placement takes its randomness
 * as a parameter so that tests and the fleet simulator replay exactly; the
 * service seeds it from the OS.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n); n ≥ 1. */
  int(n: number): number;
}

/** Mixes a 32-bit seed into well-spread state words (splitmix32 steps). */
function splitmix32(state: number): [number, number] {
  let z = (state + 0x9e3779b9) | 0;
  let x = z;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  x ^= x >>> 16;
  z = z | 0;
  return [z, x >>> 0];
}

/** A generator determined entirely by `seed` (any finite number; its low 32 bits and the next 21 are used). */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be finite, got ${seed}`);
  const hi = Math.floor(seed / 2 ** 32) | 0;
  let s = (seed | 0) ^ Math.imul(hi, 0x27d4eb2f);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(s);
    s = next;
    words.push(out);
  }
  let [a, b, c, d] = words as [number, number, number, number];
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 needs a few rounds to decorrelate close seeds.
  for (let i = 0; i < 12; i++) nextU32();
  return {
    next: () => nextU32() / 4294967296,
    int: (n: number) => Math.floor((nextU32() / 4294967296) * n),
  };
}
