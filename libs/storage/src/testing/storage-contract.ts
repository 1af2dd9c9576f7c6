// The provider suite of the StorageService contract (storage.proto). The real
// server passes it over real gRPC (storage-service.spec.ts); a consumer's fake
// must pass the same suite before tests may lean on it. Every RPC and every
// error code the contract names is exercised here.
import { randomBytes } from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { commonV1, storageV1 } from '@platter/proto';
import { Code, RpcError, codeName, type RpcClient } from '@platter/rpc';
import { crc32c } from '@platter/shardstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readErrorDetail } from '@platter/rpc';

export type StorageClient = RpcClient<typeof storageV1.StorageService>;
type PutInit = MessageInitShape<typeof storageV1.PutShardRequestSchema>;
/** The fields of a PutShardHeader, as plain values. */
export interface HeaderInit {
  diskId?: string;
  diskUuid?: string;
  shardId?: string;
  totalLength?: bigint;
  blockSize?: number;
  blockCrc32c?: number[];
  diskStateEpoch?: bigint;
  ioClass?: commonV1.IoClass;
  allocationId?: string;
}

/** What a server under test must give the suite. */
export interface StorageContractTarget {
  client: StorageClient;
  /** A disk the node serves, ACTIVE, that the suite may fill. */
  diskId: string;
  /** The block size the node requires in PutShard headers. */
  blockSize: number;
  /** Damages the stored copy of one block of a shard (the suite passes that block's bytes, to help find it). */
  corruptBlock(diskId: string, shardId: string, blockIndex: number, blockBytes: Uint8Array): Promise<void>;
  /** Makes the node see the disk in this inventory state (epoch 0). */
  setDiskState(diskId: string, state: commonV1.DiskState): Promise<void>;
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;
const R = commonV1.ErrorReason;

export function newShardId(): string {
  return randomBytes(16).toString('hex');
}

function blockCrcs(data: Uint8Array, blockSize: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < data.byteLength; p += blockSize)
    out.push(crc32c(data.subarray(p, Math.min(data.byteLength, p + blockSize))));
  return out;
}

/** A PutShard stream: header, the bytes in `chunkSize` messages, then an optional trailer. */
export async function* putStream(
  header: HeaderInit,
  data: Uint8Array,
  options: { chunkSize?: number; trailer?: number[] } = {},
): AsyncGenerator<PutInit> {
  yield { payload: { case: 'header', value: header } };
  const step = options.chunkSize ?? MiB;
  for (let p = 0; p < data.byteLength; p += step)
    yield { payload: { case: 'data', value: data.subarray(p, Math.min(data.byteLength, p + step)) } };
  if (options.trailer !== undefined) yield { payload: { case: 'trailer', value: { blockCrc32c: options.trailer } } };
}

async function* messages(list: PutInit[]): AsyncGenerator<PutInit> {
  yield* list;
}

/** Runs `call` and returns the RpcError it fails with (the test fails if it succeeds). */
export async function rpcFailure(call: () => Promise<unknown>): Promise<RpcError> {
  try {
    await call();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

function expectStatus(err: RpcError, code: Code, reason?: commonV1.ErrorReason): void {
  expect(codeName(err.code), err.message).toBe(codeName(code));
  if (reason !== undefined)
    expect(commonV1.ErrorReason[readErrorDetail(err)?.reason ?? 0]).toBe(commonV1.ErrorReason[reason]);
}

export interface ReadResult {
  data: Buffer;
  messages: storageV1.GetShardResponse[];
  error: RpcError | undefined;
}

/** Reads a GetShard stream to its end, keeping what arrived before any error. */
export async function readShard(
  client: StorageClient,
  req: MessageInitShape<typeof storageV1.GetShardRequestSchema>,
): Promise<ReadResult> {
  const msgs: storageV1.GetShardResponse[] = [];
  let error: RpcError | undefined;
  try {
    for await (const m of client.getShard(req)) msgs.push(m);
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    error = err;
  }
  return { data: Buffer.concat(msgs.map((m) => m.data)), messages: msgs, error };
}

/**
 * Registers the StorageService contract suite. `setup` runs once before the
 * suite; the suite leaves shards behind on the disk (its teardown should
 * remove them with the disk).
 */
export function describeStorageContract(name: string, setup: () => Promise<StorageContractTarget>): void {
  describe(`StorageService contract: ${name}`, () => {
    let t: StorageContractTarget;
    let bs: number;
    const header = (shardId: string, length: number, more: Partial<HeaderInit> = {}): HeaderInit => ({
      diskId: t.diskId,
      shardId,
      totalLength: BigInt(length),
      blockSize: bs,
      ioClass: commonV1.IoClass.FOREGROUND,
      ...more,
    });
    const put = (
      shardId: string,
      data: Uint8Array,
      more: Partial<HeaderInit> = {},
      options: { chunkSize?: number; trailer?: number[] } = {},
    ) => t.client.putShard(putStream(header(shardId, data.byteLength, more), data, options));
    const notStored = async (shardId: string): Promise<void> => {
      expectStatus(
        await rpcFailure(() => t.client.statShard({ diskId: t.diskId, shardId })),
        Code.NOT_FOUND,
        R.NO_SUCH_SHARD,
      );
    };

    beforeAll(async () => {
      t = await setup();
      bs = t.blockSize;
    });
    afterAll(async () => {
      await t?.teardown();
    });

    describe('PutShard and GetShard', () => {
      it('round-trips a 0-byte shard', async () => {
        const id = newShardId();
        const res = await put(id, new Uint8Array(0));
        expect(res).toMatchObject({
          diskId: t.diskId,
          shardId: id,
          length: 0n,
          blockCrc32c: [],
          alreadyExisted: false,
        });
        const read = await readShard(t.client, { diskId: t.diskId, shardId: id });
        expect(read.error).toBeUndefined();
        expect(read.data.byteLength).toBe(0);
        const stat = await t.client.statShard({ diskId: t.diskId, shardId: id });
        expect(stat.shard).toMatchObject({ shardId: id, length: 0n, blockSize: bs, blockCount: 0 });
      });

      it('round-trips a multi-MiB shard sent in 1 MiB chunks, with per-block CRCs and per-chunk CRCs on the way back', async () => {
        const id = newShardId();
        const data = randomBytes(3 * bs + 12_345);
        const res = await put(id, data, {}, { chunkSize: MiB });
        expect(res.length).toBe(BigInt(data.byteLength));
        expect(res.blockCrc32c).toEqual(blockCrcs(data, bs));
        const read = await readShard(t.client, { diskId: t.diskId, shardId: id });
        expect(read.error).toBeUndefined();
        expect(read.data.equals(data)).toBe(true);
        let next = 0n;
        for (const m of read.messages) {
          expect(m.offset).toBe(next);
          expect(m.data.byteLength).toBeLessThanOrEqual(bs);
          expect(m.dataCrc32c).toBe(crc32c(m.data));
          next += BigInt(m.data.byteLength);
        }
        const stat = await t.client.statShard({ diskId: t.diskId, shardId: id, includeBlockCrc32c: true });
        expect(stat.shard).toMatchObject({
          length: BigInt(data.byteLength),
          blockSize: bs,
          blockCount: 4,
          blockCrc32c: blockCrcs(data, bs),
        });
        expect(stat.shard?.createdAt).toBeDefined();
        expect((await t.client.statShard({ diskId: t.diskId, shardId: id })).shard?.blockCrc32c).toEqual([]);
      });

      it('accepts a stream in chunks of any size, including ones that straddle blocks', async () => {
        const id = newShardId();
        const data = randomBytes(2 * bs + 7);
        await put(id, data, {}, { chunkSize: Math.floor(bs / 3) + 1 });
        expect((await readShard(t.client, { diskId: t.diskId, shardId: id })).data.equals(data)).toBe(true);
      });

      it('serves ranges at and across block boundaries, honours max_chunk_size, and refuses ranges outside the shard', async () => {
        const id = newShardId();
        const data = randomBytes(3 * bs);
        await put(id, data);
        const range = async (offset: number, length: number, maxChunkSize = 0): Promise<ReadResult> =>
          readShard(t.client, {
            diskId: t.diskId,
            shardId: id,
            offset: BigInt(offset),
            length: BigInt(length),
            maxChunkSize,
          });
        const block1 = await range(bs, bs);
        expect(block1.data.equals(data.subarray(bs, 2 * bs))).toBe(true);
        expect(block1.messages).toHaveLength(1);
        expect(block1.messages[0]!.dataCrc32c).toBe(crc32c(data.subarray(bs, 2 * bs)));
        const straddle = await range(bs - 1, 2);
        expect(straddle.data.equals(data.subarray(bs - 1, bs + 1))).toBe(true);
        expect(straddle.messages.map((m) => m.offset)).toEqual([BigInt(bs - 1), BigInt(bs)]);
        const tail = await range(2 * bs + 5, 0);
        expect(tail.data.equals(data.subarray(2 * bs + 5))).toBe(true);
        const small = await range(10, 5_000, 1_000);
        expect(small.data.equals(data.subarray(10, 5_010))).toBe(true);
        expect(Math.max(...small.messages.map((m) => m.data.byteLength))).toBeLessThanOrEqual(1_000);
        const empty = await range(3 * bs, 0);
        expect(empty.error).toBeUndefined();
        expect(empty.data.byteLength).toBe(0);
        expectStatus((await range(3 * bs + 1, 0)).error!, Code.OUT_OF_RANGE);
        expectStatus((await range(0, 3 * bs + 1)).error!, Code.OUT_OF_RANGE);
        expectStatus((await range(2 * bs, bs + 1)).error!, Code.OUT_OF_RANGE);
      });

      it('treats a replay of identical bytes as a success that stored nothing new', async () => {
        const id = newShardId();
        const data = randomBytes(bs + 100);
        const first = await put(id, data);
        const again = await put(id, data, {}, { chunkSize: 4096 });
        expect(again.alreadyExisted).toBe(true);
        expect(again.blockCrc32c).toEqual(first.blockCrc32c);
        expect((await readShard(t.client, { diskId: t.diskId, shardId: id })).data.equals(data)).toBe(true);
      });

      it('refuses the same id with other bytes: ALREADY_EXISTS (SHARD_CONFLICT), the first bytes stay', async () => {
        const id = newShardId();
        const data = randomBytes(bs + 100);
        await put(id, data);
        expectStatus(
          await rpcFailure(() => put(id, randomBytes(data.byteLength))),
          Code.ALREADY_EXISTS,
          R.SHARD_CONFLICT,
        );
        expectStatus(await rpcFailure(() => put(id, randomBytes(10))), Code.ALREADY_EXISTS, R.SHARD_CONFLICT);
        expect((await readShard(t.client, { diskId: t.diskId, shardId: id })).data.equals(data)).toBe(true);
      });

      it("checks the writer's block CRCs from the header or the trailer: DATA_LOSS and nothing stored on a mismatch", async () => {
        const data = randomBytes(2 * bs + 10);
        const good = blockCrcs(data, bs);
        const bad = [good[0]!, (good[1]! ^ 1) >>> 0, good[2]!];

        const viaHeader = newShardId();
        expectStatus(
          await rpcFailure(() => put(viaHeader, data, { blockCrc32c: bad })),
          Code.DATA_LOSS,
          R.CHECKSUM_MISMATCH,
        );
        await notStored(viaHeader);
        expect((await put(viaHeader, data, { blockCrc32c: good })).blockCrc32c).toEqual(good);

        const viaTrailer = newShardId();
        expectStatus(
          await rpcFailure(() => put(viaTrailer, data, {}, { trailer: bad })),
          Code.DATA_LOSS,
          R.CHECKSUM_MISMATCH,
        );
        await notStored(viaTrailer);
        expect((await put(viaTrailer, data, {}, { trailer: good })).blockCrc32c).toEqual(good);
      });

      it('leaves nothing behind when the writer cancels mid-stream', async () => {
        const id = newShardId();
        const abort = new AbortController();
        async function* halfThenCancel(): AsyncGenerator<PutInit> {
          yield { payload: { case: 'header', value: header(id, 4 * bs) } };
          yield { payload: { case: 'data', value: randomBytes(bs) } };
          await new Promise((r) => setTimeout(r, 100));
          abort.abort();
          await new Promise((r) => setTimeout(r, 100));
        }
        expectStatus(
          await rpcFailure(() => t.client.putShard(halfThenCancel(), { signal: abort.signal })),
          Code.CANCELLED,
        );
        await notStored(id);
      });
    });

    describe('malformed requests: INVALID_ARGUMENT, nothing stored', () => {
      it('refuses a stream that does not start with the header, or has a second one', async () => {
        const id = newShardId();
        expectStatus(
          await rpcFailure(() => t.client.putShard(messages([{ payload: { case: 'data', value: randomBytes(10) } }]))),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(await rpcFailure(() => t.client.putShard(messages([]))), Code.INVALID_ARGUMENT);
        const twice: PutInit[] = [
          { payload: { case: 'header', value: header(id, 10) } },
          { payload: { case: 'header', value: header(id, 10) } },
        ];
        expectStatus(await rpcFailure(() => t.client.putShard(messages(twice))), Code.INVALID_ARGUMENT);
        await notStored(id);
      });

      it('refuses fewer or more bytes than total_length', async () => {
        const short = newShardId();
        expectStatus(
          await rpcFailure(() => t.client.putShard(putStream(header(short, bs + 1), randomBytes(bs)))),
          Code.INVALID_ARGUMENT,
        );
        await notStored(short);
        const long = newShardId();
        expectStatus(
          await rpcFailure(() => t.client.putShard(putStream(header(long, bs), randomBytes(bs + 1)))),
          Code.INVALID_ARGUMENT,
        );
        await notStored(long);
      });

      it('refuses a CRC list of the wrong length, CRCs in both header and trailer, a bad block size and a bad shard id', async () => {
        const data = randomBytes(bs + 1);
        const crcs = blockCrcs(data, bs);
        const id = newShardId();
        expectStatus(await rpcFailure(() => put(id, data, { blockCrc32c: [crcs[0]!] })), Code.INVALID_ARGUMENT);
        expectStatus(await rpcFailure(() => put(id, data, {}, { trailer: [crcs[0]!] })), Code.INVALID_ARGUMENT);
        expectStatus(
          await rpcFailure(() => put(id, data, { blockCrc32c: crcs }, { trailer: crcs })),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(await rpcFailure(() => put(id, data, { blockSize: 0 })), Code.INVALID_ARGUMENT);
        await notStored(id);
        for (const badId of [
          '',
          'ABCDEF0123456789ABCDEF0123456789',
          'x'.repeat(32),
          '../../etc/passwd',
          'a'.repeat(33),
        ]) {
          expectStatus(await rpcFailure(() => put(badId, data)), Code.INVALID_ARGUMENT);
          expectStatus(
            await rpcFailure(() => t.client.statShard({ diskId: t.diskId, shardId: badId })),
            Code.INVALID_ARGUMENT,
          );
        }
      });
    });

    describe('disks', () => {
      it('answers FAILED_PRECONDITION (WRONG_DISK) on every RPC for a disk it does not serve, or a wrong disk UUID', async () => {
        const diskId = 'no-such-disk';
        const shardId = newShardId();
        const check = async (call: () => Promise<unknown>): Promise<void> =>
          expectStatus(await rpcFailure(call), Code.FAILED_PRECONDITION, R.WRONG_DISK);
        await check(() => put(shardId, randomBytes(10), { diskId }));
        await check(async () => {
          const r = await readShard(t.client, { diskId, shardId });
          if (r.error) throw r.error;
        });
        await check(() => t.client.statShard({ diskId, shardId }));
        await check(() => t.client.deleteShard({ diskId, shardId }));
        await check(() => t.client.listShards({ diskId }));
        await check(() => t.client.verifyShard({ diskId, shardId }));
        await check(() => t.client.getDiskInfo({ diskIds: [diskId] }));
        await check(() => put(shardId, randomBytes(10), { diskUuid: '00000000-0000-4000-8000-000000000000' }));
        await notStored(shardId);
      });

      it('describes its disks: identity, state, space and counts', async () => {
        const before = (await t.client.getDiskInfo({ diskIds: [t.diskId] })).disks[0]!;
        expect(before.disk?.diskId).toBe(t.diskId);
        expect(before.disk?.diskUuid).toMatch(/^[0-9a-f-]{36}$/);
        expect(before.disk?.nodeId).not.toBe('');
        expect(before.disk?.address).toMatch(/:\d+$/);
        expect(before.state).toBe(commonV1.DiskState.ACTIVE);
        expect(before.usage?.capacityBytes).toBeGreaterThan(0n);
        expect(before.usage!.usedBytes).toBeLessThanOrEqual(before.usage!.capacityBytes);
        expect(before.formatVersion).toBeGreaterThanOrEqual(1);
        expect(before.readOnly).toBe(false);
        const data = randomBytes(bs);
        await put(newShardId(), data);
        const after = (await t.client.getDiskInfo({ diskIds: [t.diskId] })).disks[0]!;
        expect(after.shardCount).toBe(before.shardCount + 1n);
        expect(after.usage!.liveBytes).toBeGreaterThanOrEqual(before.usage!.liveBytes + BigInt(data.byteLength));
        expect(after.extentCount).toBeGreaterThanOrEqual(1);
        const all = await t.client.getDiskInfo({});
        expect(all.disks.map((d) => d.disk?.diskId)).toContain(t.diskId);
        // A writer that names the right UUID is let through.
        await put(newShardId(), randomBytes(10), { diskUuid: after.disk!.diskUuid });
      });

      it("takes shards only on ACTIVE disks (unless the writer's allocation is newer), and still serves reads otherwise", async () => {
        const kept = newShardId();
        const data = randomBytes(100);
        await put(kept, data);
        for (const state of [commonV1.DiskState.JOINING, commonV1.DiskState.DRAINING, commonV1.DiskState.FAILED]) {
          await t.setDiskState(t.diskId, state);
          try {
            const id = newShardId();
            expectStatus(
              await rpcFailure(() => put(id, randomBytes(10))),
              Code.FAILED_PRECONDITION,
              R.DISK_NOT_WRITABLE,
            );
            await notStored(id);
            expect((await readShard(t.client, { diskId: t.diskId, shardId: kept })).data.equals(data)).toBe(true);
            expect((await t.client.getDiskInfo({ diskIds: [t.diskId] })).disks[0]?.state).toBe(state);
            // The newer view wins: an allocation made at a newer state epoch saw the disk ACTIVE.
            await put(newShardId(), randomBytes(10), { diskStateEpoch: 1n });
          } finally {
            await t.setDiskState(t.diskId, commonV1.DiskState.ACTIVE);
          }
        }
      });
    });

    describe('DeleteShard, StatShard, ListShards', () => {
      it('deletes: NOT_FOUND afterwards, existed=false on a repeat, and the id cannot be written again (SHARD_DELETED)', async () => {
        const id = newShardId();
        const data = randomBytes(bs + 5);
        await put(id, data);
        expect(await t.client.deleteShard({ diskId: t.diskId, shardId: id })).toMatchObject({ existed: true });
        const read = await readShard(t.client, { diskId: t.diskId, shardId: id });
        expectStatus(read.error!, Code.NOT_FOUND, R.NO_SUCH_SHARD);
        expect(read.data.byteLength).toBe(0);
        await notStored(id);
        expectStatus(
          await rpcFailure(() => t.client.verifyShard({ diskId: t.diskId, shardId: id })),
          Code.NOT_FOUND,
          R.NO_SUCH_SHARD,
        );
        expect(await t.client.deleteShard({ diskId: t.diskId, shardId: id })).toMatchObject({ existed: false });
        expect(await t.client.deleteShard({ diskId: t.diskId, shardId: newShardId() })).toMatchObject({
          existed: false,
        });
        expectStatus(await rpcFailure(() => put(id, data)), Code.FAILED_PRECONDITION, R.SHARD_DELETED);
      });

      it('answers NOT_FOUND (NO_SUCH_SHARD) for a shard that was never written', async () => {
        const id = newShardId();
        await notStored(id);
        expectStatus(
          (await readShard(t.client, { diskId: t.diskId, shardId: id })).error!,
          Code.NOT_FOUND,
          R.NO_SUCH_SHARD,
        );
        expectStatus(
          await rpcFailure(() => t.client.verifyShard({ diskId: t.diskId, shardId: id })),
          Code.NOT_FOUND,
          R.NO_SUCH_SHARD,
        );
      });

      it('lists every live shard once, in shard-id order, across pages; refuses a foreign page token', async () => {
        const mine = Array.from({ length: 5 }, () => newShardId());
        for (const id of mine) await put(id, randomBytes(10));
        const gone = newShardId();
        await put(gone, randomBytes(10));
        await t.client.deleteShard({ diskId: t.diskId, shardId: gone });
        const seen: string[] = [];
        let token = '';
        for (let pages = 0; pages < 1_000; pages++) {
          const page = await t.client.listShards({ diskId: t.diskId, pageSize: 2, pageToken: token });
          expect(page.shards.length).toBeLessThanOrEqual(2);
          for (const s of page.shards) {
            expect(s.blockCrc32c).toEqual([]);
            expect(s.blockSize).toBe(bs);
          }
          seen.push(...page.shards.map((s) => s.shardId));
          token = page.nextPageToken;
          if (token === '') break;
        }
        expect(token).toBe('');
        expect(seen).toEqual([...seen].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of mine) expect(seen).toContain(id);
        expect(seen).not.toContain(gone);
        const all = await t.client.listShards({ diskId: t.diskId });
        expect(all.shards.map((s) => s.shardId)).toEqual(seen);
        expectStatus(
          await rpcFailure(() => t.client.listShards({ diskId: t.diskId, pageToken: 'not-a-token' })),
          Code.INVALID_ARGUMENT,
        );
      });
    });

    describe('damage', () => {
      it('never serves a damaged block: DATA_LOSS after the verified bytes before it; VerifyShard reports the block', async () => {
        const id = newShardId();
        const data = randomBytes(3 * bs);
        const put1 = await put(id, data);
        const verifiedBefore = await t.client.verifyShard({
          diskId: t.diskId,
          shardId: id,
          ioClass: commonV1.IoClass.SCRUB,
        });
        expect(verifiedBefore.blocksChecked).toBe(3);
        expect(verifiedBefore.damagedBlocks).toEqual([]);

        await t.corruptBlock(t.diskId, id, 1, data.subarray(bs, 2 * bs));
        const whole = await readShard(t.client, { diskId: t.diskId, shardId: id });
        expectStatus(whole.error!, Code.DATA_LOSS, R.CHECKSUM_MISMATCH);
        expect(whole.data.byteLength).toBeLessThanOrEqual(bs);
        expect(whole.data.equals(data.subarray(0, whole.data.byteLength))).toBe(true);
        // Blocks the damage does not touch still read.
        const last = await readShard(t.client, {
          diskId: t.diskId,
          shardId: id,
          offset: BigInt(2 * bs),
          length: BigInt(bs),
        });
        expect(last.error).toBeUndefined();
        expect(last.data.equals(data.subarray(2 * bs))).toBe(true);

        const verified = await t.client.verifyShard({ diskId: t.diskId, shardId: id, ioClass: commonV1.IoClass.SCRUB });
        expect(verified.blocksChecked).toBe(3);
        expect(verified.shard?.shardId).toBe(id);
        expect(verified.damagedBlocks).toHaveLength(1);
        expect(verified.damagedBlocks[0]).toMatchObject({
          blockIndex: 1,
          offset: BigInt(bs),
          length: bs,
          damage: storageV1.BlockDamage.CHECKSUM_MISMATCH,
          expectedCrc32c: put1.blockCrc32c[1],
        });
      });
    });
  });
}
