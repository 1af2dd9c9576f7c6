import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh directory under the OS temp dir, and its removal; for tests and benchmarks. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Deterministic bytes for a shard, so a reader can check them without keeping a copy. */
export function patternBytes(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export async function* chunked(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let p = 0;
  let i = 0;
  while (p < data.byteLength) {
    const n = Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? data.byteLength);
    yield data.subarray(p, Math.min(data.byteLength, p + n));
    p += n;
  }
}
