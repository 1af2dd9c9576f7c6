// The small pure pieces of the storage node: the engine-error → status table,
// chunking of GetShard messages, page tokens, latency quantiles, config.
import { commonV1 } from '@platter/proto';
import { Code, RpcError } from '@platter/rpc';
import {
  CorruptionError,
  crc32c,
  DiskFailedError,
  DiskFullError,
  DiskIdentityError,
  DiskIoError,
  InvalidArgumentError,
  ShardExistsError,
  ShardNotFoundError,
  StoreClosedError,
  type ShardInfo,
  type ShardStoreError,
} from '@platter/shardstore';
import { parseConfig } from '@platter/service-host';
import { describe, expect, it } from 'vitest';
import { storageConfigSchema } from './config.js';
import { readErrorDetail } from '@platter/rpc';
import { chunkMessages, rangeOf } from './get-shard.js';
import { quantileBetween, sumBuckets } from './latency-quantile.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { shardStoreStatus, toStorageRpcError } from './status-mapping.js';

describe('engine errors → gRPC status (one exhaustive table)', () => {
  const R = commonV1.ErrorReason;
  const cases: Array<[ShardStoreError, Code, commonV1.ErrorReason | undefined]> = [
    [new ShardNotFoundError('s'), Code.NOT_FOUND, R.NO_SUCH_SHARD],
    [new ShardExistsError('s'), Code.ALREADY_EXISTS, R.SHARD_CONFLICT],
    [new CorruptionError('s', 'crc', [1]), Code.DATA_LOSS, R.CHECKSUM_MISMATCH],
    [new DiskFullError(), Code.RESOURCE_EXHAUSTED, R.DISK_FULL],
    [new DiskIoError('eio'), Code.UNAVAILABLE, undefined],
    [new DiskIdentityError('foreign'), Code.FAILED_PRECONDITION, R.WRONG_DISK],
    [new InvalidArgumentError('bad'), Code.INVALID_ARGUMENT, undefined],
    [new StoreClosedError(), Code.UNAVAILABLE, undefined],
  ];
  it.each(cases)('%s', (err, code, reason) => {
    const status = shardStoreStatus(err, 'get', 'd1', 's');
    expect(status.code).toBe(code);
    expect(readErrorDetail(status)?.reason).toBe(reason);
  });

  it('a failed disk refuses writes for good (FAILED_PRECONDITION) and sends reads elsewhere (UNAVAILABLE)', () => {
    const put = shardStoreStatus(new DiskFailedError(), 'put', 'd1', 's');
    expect(put.code).toBe(Code.FAILED_PRECONDITION);
    expect(readErrorDetail(put)?.reason).toBe(commonV1.ErrorReason.DISK_NOT_WRITABLE);
    expect(readErrorDetail(put)?.resource).toBe('d1');
    expect(shardStoreStatus(new DiskFailedError(), 'get', 'd1', 's').code).toBe(Code.UNAVAILABLE);
  });

  it('passes RpcErrors through and leaves foreign errors to the adapter (INTERNAL)', () => {
    const rpc = new RpcError(Code.ABORTED, 'x');
    expect(toStorageRpcError(rpc, 'put', 'd1')).toBe(rpc);
    const bug = new TypeError('bug');
    expect(toStorageRpcError(bug, 'put', 'd1')).toBe(bug);
  });
});

describe('GetShard chunking', () => {
  const bs = 8;
  const data = Buffer.from(Array.from({ length: 20 }, (_, i) => i));
  const info: ShardInfo = {
    shardId: 's',
    state: 'live',
    length: 20,
    blockSize: bs,
    blockCrcs: [0, 8, 16].map((p) => crc32c(data.subarray(p, Math.min(20, p + bs)))),
    time: 0,
  };

  it('never crosses a block boundary, reuses stored CRCs for whole blocks, and computes the rest', () => {
    const msgs = [...chunkMessages(data.subarray(3), 3, info, 1024)];
    expect(msgs.map((m) => [Number(m.offset), (m.data as Buffer).byteLength])).toEqual([
      [3, 5],
      [8, 8],
      [16, 4],
    ]);
    for (const m of msgs) expect(m.dataCrc32c).toBe(crc32c(m.data as Buffer));
    expect(msgs[1]!.dataCrc32c).toBe(info.blockCrcs[1]);
  });

  it('honours a max chunk below the block size', () => {
    const msgs = [...chunkMessages(data, 0, info, 3)];
    expect(msgs.every((m) => (m.data as Buffer).byteLength <= 3)).toBe(true);
    expect(Buffer.concat(msgs.map((m) => m.data as Buffer)).equals(data)).toBe(true);
  });

  it('maps request ranges and refuses those outside the shard', () => {
    expect(rangeOf(0n, 0n, 20)).toEqual({ offset: 0, length: 20 });
    expect(rangeOf(5n, 0n, 20)).toEqual({ offset: 5, length: 15 });
    expect(rangeOf(20n, 0n, 20)).toEqual({ offset: 20, length: 0 });
    expect(rangeOf(4n, 16n, 20)).toEqual({ offset: 4, length: 16 });
    for (const [o, l] of [
      [21n, 0n],
      [4n, 17n],
      [2n ** 63n, 1n],
    ] as const) {
      expect(() => rangeOf(o, l, 20)).toThrow(expect.objectContaining({ code: Code.OUT_OF_RANGE }));
    }
  });
});

describe('page tokens', () => {
  it("round-trip, and refuse garbage or another disk's token", () => {
    expect(decodePageToken(encodePageToken('d1', 'abc'), 'd1')).toBe('abc');
    expect(() => decodePageToken(encodePageToken('d1', 'abc'), 'd2')).toThrow(
      expect.objectContaining({ code: Code.INVALID_ARGUMENT }),
    );
    for (const bad of ['!!', 'e30', Buffer.from('{"v":2,"d":"d1","a":"x"}').toString('base64url')]) {
      expect(() => decodePageToken(bad, 'd1')).toThrow(expect.objectContaining({ code: Code.INVALID_ARGUMENT }));
    }
  });
});

describe('latency quantiles between histogram snapshots', () => {
  const b = (counts: number[]) => [0.001, 0.01, 0.1, 1].map((le, i) => ({ le, count: counts[i]! }));

  it('interpolates inside the bucket the rank falls in, over the interval only', () => {
    const before = b([10, 10, 10, 10]);
    const after = b([10, 60, 110, 110]);
    expect(quantileBetween(before, after, 100, 0.5)).toBeCloseTo(0.01, 6);
    expect(quantileBetween(before, after, 100, 0.99)).toBeCloseTo(0.01 + 0.09 * 0.98, 6);
    expect(quantileBetween(undefined, b([0, 0, 0, 0]), 0, 0.5)).toBeUndefined();
    expect(quantileBetween(undefined, b([0, 0, 0, 1]), 2, 0.99)).toBe(1);
  });

  it('sums distributions with the same bounds', () => {
    expect(sumBuckets([b([1, 2, 3, 4]), undefined, b([1, 1, 1, 1])]).map((x) => x.count)).toEqual([2, 3, 4, 5]);
    expect(sumBuckets([undefined])).toEqual([]);
  });
});

describe('storage config', () => {
  const base = { PLATTER_ID: 'storage-1', PLATTER_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };

  it('reads disks as JSON and flags as strings, with defaults', () => {
    const c = parseConfig(storageConfigSchema, {
      ...base,
      PLATTER_DISKS: '[{"id":"d1","path":"/x/d1"}]',
      PLATTER_HDD_MODEL: 'false',
    });
    expect(c.disks).toEqual([{ id: 'd1', path: '/x/d1' }]);
    expect(c.hddModel).toBe(false);
    expect(c.heatIntervalMs).toBe(1_000);
    expect(c.heatTtlMs).toBe(5_000);
    expect(parseConfig(storageConfigSchema, { ...base, PLATTER_HDD_MODEL: 'true' }).hddModel).toBe(true);
  });

  it('refuses duplicate disk ids or paths and bad ids', () => {
    expect(() =>
      parseConfig(storageConfigSchema, { ...base, PLATTER_DISKS: '[{"id":"d1","path":"/a"},{"id":"d1","path":"/b"}]' }),
    ).toThrow(/distinct/);
    expect(() =>
      parseConfig(storageConfigSchema, { ...base, PLATTER_DISKS: '[{"id":"d1","path":"/a"},{"id":"d2","path":"/a"}]' }),
    ).toThrow(/distinct/);
    expect(() => parseConfig(storageConfigSchema, { ...base, PLATTER_DISKS: '[{"id":"../x","path":"/a"}]' })).toThrow();
  });
});
