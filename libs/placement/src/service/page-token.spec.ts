import { Code, RpcError } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, pageSize } from './page-token.js';

describe('page tokens', () => {
  it('round-trip a position and refuse a token of another kind', () => {
    expect(decodePageToken('disks', encodePageToken('disks', 'host-a1-d2'))).toBe('host-a1-d2');
    try {
      decodePageToken('heat', encodePageToken('disks', 'x'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(Code.INVALID_ARGUMENT);
    }
  });

  it('defaults 0 to 1,000 and caps at 10,000', () => {
    expect(pageSize(0)).toBe(1_000);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(50_000)).toBe(10_000);
  });
});
