import { crc32c } from '@platter/isal';
import { storageV1 } from '@platter/proto';
import { Code, createRpcServer, RpcError, type RpcServer, type ServiceImpl } from '@platter/rpc';
import { createLogger, createMetricsRegistry } from '@platter/telemetry';

// A storage node for the frontend's unit tests: PutShard and GetShard over
// real gRPC, shards kept in memory, with faults to order (fail, stall,
// corrupt). The rest of the contract answers UNIMPLEMENTED.

export interface FakeFaults {
  /** PutShard fails after this many bytes. */
  failPutAfterBytes?: number;
  /** GetShard fails at once. */
  failGets?: boolean;
  /** GetShard waits this long before answering. */
  getDelayMs?: number;
  /** GetShard flips a byte (its CRC then no longer matches). */
  corruptGets?: boolean;
}

interface FakeState {
  readonly shards: Map<string, Buffer>;
  faults: FakeFaults;
  gets: number;
}

export class FakeStorageNode {
  private constructor(
    private readonly server: RpcServer,
    readonly address: string,
    private readonly state: FakeState,
  ) {}

  get shards(): Map<string, Buffer> {
    return this.state.shards;
  }

  get faults(): FakeFaults {
    return this.state.faults;
  }

  set faults(f: FakeFaults) {
    this.state.faults = f;
  }

  /** GetShard calls served so far. */
  get gets(): number {
    return this.state.gets;
  }

  static async start(): Promise<FakeStorageNode> {
    const server = createRpcServer({
      logger: createLogger({ service: 'fake-storage', level: 'silent' }),
      registry: createMetricsRegistry({ service: 'fake-storage' }),
    });
    const node: FakeState = { shards: new Map(), faults: {}, gets: 0 };
    const unimplemented = (): never => {
      throw new RpcError(Code.UNIMPLEMENTED, 'not in the fake');
    };
    const impl: ServiceImpl<typeof storageV1.StorageService> = {
      putShard: async (requests) => {
        let header: storageV1.PutShardHeader | undefined;
        const parts: Buffer[] = [];
        let bytes = 0;
        for await (const r of requests) {
          if (r.payload.case === 'header') header = r.payload.value;
          else if (r.payload.case === 'data') {
            bytes += r.payload.value.length;
            const limit = node.faults.failPutAfterBytes;
            if (limit !== undefined && bytes > limit) throw new RpcError(Code.UNAVAILABLE, 'disk went away');
            parts.push(Buffer.from(r.payload.value));
          }
        }
        if (!header) throw new RpcError(Code.INVALID_ARGUMENT, 'no header');
        if (BigInt(bytes) !== header.totalLength) throw new RpcError(Code.INVALID_ARGUMENT, 'length mismatch');
        node.shards.set(`${header.diskId}/${header.shardId}`, Buffer.concat(parts));
        return { diskId: header.diskId, shardId: header.shardId, length: BigInt(bytes) };
      },
      getShard: async function* (req, ctx) {
        node.gets++;
        const f = node.faults;
        if (f.getDelayMs)
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, f.getDelayMs);
            ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
          });
        if (f.failGets) throw new RpcError(Code.UNAVAILABLE, 'disk failed');
        const shard = node.shards.get(`${req.diskId}/${req.shardId}`);
        if (!shard) throw new RpcError(Code.NOT_FOUND, 'no such shard');
        const off = Number(req.offset);
        const len = req.length === 0n ? shard.length - off : Number(req.length);
        if (off + len > shard.length) throw new RpcError(Code.OUT_OF_RANGE, 'past the end');
        const data = Buffer.from(shard.subarray(off, off + len));
        const crc = crc32c(data) >>> 0;
        if (f.corruptGets) data[0] = data[0]! ^ 0xff;
        yield { offset: req.offset, dataCrc32c: crc, data };
      },
      deleteShard: unimplemented,
      statShard: unimplemented,
      listShards: unimplemented,
      verifyShard: unimplemented,
      getDiskInfo: unimplemented,
    };
    server.add(storageV1.StorageService, impl);
    const port = await server.listen('127.0.0.1:0');
    return new FakeStorageNode(server, `127.0.0.1:${port}`, node);
  }

  stop(): Promise<void> {
    return this.server.shutdown(1_000);
  }
}
