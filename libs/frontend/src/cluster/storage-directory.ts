import { DiskLiveRecordCodec, PrefixCache, type DiskLiveRecord, type Etcd3, type Keyspace } from '@platter/cluster';
import { storageV1 } from '@platter/proto';
import { createRpcClient } from '@platter/rpc';
import type { Logger, Registry } from '@platter/telemetry';
import type { StorageClient, StorageDirectory } from '../data/data-path-types.js';

// Which node serves a disk now (the lease-bound live keys, watched, never
// read per request) and one gRPC client per node, made on first use.

/** A shard read or write to one node never waits longer than this to connect. */
const STORAGE_DEFAULT_TIMEOUT_MS = 30_000;

export class EtcdStorageDirectory implements StorageDirectory {
  private readonly clients = new Map<string, StorageClient>();

  private constructor(
    private readonly live: PrefixCache<DiskLiveRecord>,
    private readonly keyspace: Keyspace,
    private readonly registry?: Registry,
  ) {}

  static async open(opts: {
    etcd: Etcd3;
    keyspace: Keyspace;
    logger: Logger;
    registry?: Registry;
  }): Promise<EtcdStorageDirectory> {
    const live = await PrefixCache.open({
      etcd: opts.etcd,
      prefix: opts.keyspace.disksLivePrefix(),
      decode: (raw, key) => DiskLiveRecordCodec.decode(raw, key),
      logger: opts.logger.child({ component: 'storage-directory' }),
    });
    return new EtcdStorageDirectory(live, opts.keyspace, opts.registry);
  }

  addressOf(diskId: string): string | undefined {
    return this.live.get(this.keyspace.diskLive(diskId))?.grpcAddress;
  }

  client(address: string): StorageClient {
    let c = this.clients.get(address);
    if (!c) {
      c = createRpcClient(storageV1.StorageService, address, {
        defaultTimeoutMs: STORAGE_DEFAULT_TIMEOUT_MS,
        registry: this.registry,
      });
      this.clients.set(address, c);
    }
    return c;
  }

  async close(): Promise<void> {
    await this.live.close();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
