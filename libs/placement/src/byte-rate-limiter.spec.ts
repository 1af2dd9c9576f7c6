import { describe, expect, it } from 'vitest';
import { ByteRateLimiter } from './byte-rate-limiter.js';

describe('ByteRateLimiter', () => {
  it('starts with its burst, refills at its rate, never above the burst', () => {
    const limiter = new ByteRateLimiter(1000, 5000);
    expect(limiter.available(0)).toBe(5000);
    limiter.take(5000, 0);
    expect(limiter.available(0)).toBe(0);
    expect(limiter.available(2000)).toBe(2000);
    limiter.take(500, 2000);
    expect(limiter.available(2000)).toBe(1500);
    expect(limiter.available(100_000)).toBe(5000);
    // Time going backwards adds nothing.
    limiter.take(5000, 100_000);
    expect(limiter.available(50_000)).toBe(0);
  });

  it('refuses negative or infinite settings', () => {
    expect(() => new ByteRateLimiter(-1, 10)).toThrow(RangeError);
    expect(() => new ByteRateLimiter(1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
