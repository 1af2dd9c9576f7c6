import { describe, expect, it } from 'vitest';
import { GeometryError, ShardSizeError } from './errors.js';
import { Stripe, StripePool } from './stripe-pool.js';

describe('Stripe', () => {
  it('lays k data then m parity shards back to back in one buffer', () => {
    const s = new Stripe(3, 2, 16);
    expect(s.bytes.length).toBe(80);
    expect(s.shards).toHaveLength(5);
    s.shards.forEach((shard, i) => {
      expect(shard.buffer).toBe(s.bytes.buffer);
      expect(shard.byteOffset).toBe(s.bytes.byteOffset + i * 16);
      expect(shard.length).toBe(16);
    });
    s.shards[3]!.fill(7);
    expect(s.parity.subarray(0, 16).every((b) => b === 7)).toBe(true);
    expect(s.data.length).toBe(48);
    expect(s.bytes.every((b, i) => (i >= 48 && i < 64 ? b === 7 : b === 0))).toBe(true);
  });

  it('rejects impossible geometry', () => {
    expect(() => new Stripe(0, 2, 16)).toThrow(GeometryError);
    expect(() => new Stripe(2, 2, 0)).toThrow(ShardSizeError);
  });
});

describe('StripePool', () => {
  it('hands the same stripe back after release instead of allocating', () => {
    const pool = new StripePool({ k: 2, m: 1, shardSize: 8 });
    const a = pool.acquire();
    pool.release(a);
    expect(pool.acquire()).toBe(a);
    expect(pool.stats()).toEqual({ created: 1, idle: 0 });
  });

  it('keeps at most maxIdle stripes', () => {
    const pool = new StripePool({ k: 2, m: 1, shardSize: 8, maxIdle: 2 });
    const stripes = [pool.acquire(), pool.acquire(), pool.acquire()];
    for (const s of stripes) pool.release(s);
    expect(pool.stats()).toEqual({ created: 3, idle: 2 });
  });

  it('refuses a double release and a stripe of another geometry', () => {
    const pool = new StripePool({ k: 2, m: 1, shardSize: 8 });
    const s = pool.acquire();
    pool.release(s);
    expect(() => pool.release(s)).toThrow(/twice/);
    expect(() => pool.release(new Stripe(2, 1, 16))).toThrow(/geometry/);
  });
});
