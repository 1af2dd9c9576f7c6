// A real StorageService on loopback for tests: real grpc-js server, real
// ShardStores on temp directories, states set by hand instead of etcd.
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { storageV1 } from '@platter/proto';
import { createRpcClient, createRpcServer, type RpcServer } from '@platter/rpc';
import type { ShardStoreOptions } from '@platter/shardstore';
import { createLogger, type Logger } from '@platter/telemetry';
import { DiskSet } from '../disk-set.js';
import { FixedDiskStates } from '../disk-state-view.js';
import { createStorageService } from '../storage-service.js';
import type { StorageClient } from './storage-contract.js';

export interface InProcessStorage {
  address: string;
  client: StorageClient;
  disks: DiskSet;
  states: FixedDiskStates;
  registry: Registry;
  server: RpcServer;
  /** Disk directories by disk id. */
  dirs: Map<string, string>;
  stop(): Promise<void>;
}

export interface InProcessStorageOptions {
  diskIds?: string[];
  blockSizeBytes?: number;
  storeOptions?: Partial<Omit<ShardStoreOptions, 'dir' | 'clusterId' | 'blockSizeBytes'>>;
  logger?: Logger;
  /** Where the temp dirs go (default: the OS temp dir). */
  baseDir?: string;
}

export async function startInProcessStorage(options: InProcessStorageOptions = {}): Promise<InProcessStorage> {
  const logger = options.logger ?? createLogger({ service: 'storage-test', level: 'silent' });
  const blockSizeBytes = options.blockSizeBytes ?? 1024 * 1024;
  const base = await mkdtemp(path.join(options.baseDir ?? tmpdir(), 'platter-storage-'));
  const ids = options.diskIds ?? ['disk-a'];
  const dirs = new Map(ids.map((id) => [id, path.join(base, id)]));
  const disks = await DiskSet.open(
    ids.map((id) => ({ id, path: dirs.get(id)! })),
    // No free-space reserve: test machines' temp dirs may be small.
    {
      clusterId: 'contract-test',
      blockSizeBytes,
      logger,
      storeOptions: { reserveFreeBytes: 0, ...options.storeOptions },
    },
  );
  const states = new FixedDiskStates();
  const registry = new Registry();
  const server = createRpcServer({ logger, registry });
  let address = '';
  server.add(
    storageV1.StorageService,
    createStorageService({
      disks,
      states,
      node: { nodeId: 'storage-test', address: () => address, failureDomain: { zone: 'z1', rack: 'r1', host: 'h1' } },
      blockSizeBytes,
      logger,
    }),
  );
  const port = await server.listen('127.0.0.1:0');
  address = `127.0.0.1:${port}`;
  const client = createRpcClient(storageV1.StorageService, address, { defaultTimeoutMs: 60_000 });
  return {
    address,
    client,
    disks,
    states,
    registry,
    server,
    dirs,
    async stop() {
      client.close();
      await server.shutdown(1_000);
      await disks.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/**
 * Flips one byte in the middle of the stored copy of `blockBytes` on the disk
 * at `dir`, found by searching its extent files for those exact bytes (the
 * suite writes random blocks, so they occur once). Independent of the
 * engine's record layout on purpose.
 */
export async function corruptStoredBytes(dir: string, blockBytes: Uint8Array): Promise<void> {
  const extents = path.join(dir, 'extents');
  const needle = Buffer.from(blockBytes.buffer, blockBytes.byteOffset, blockBytes.byteLength);
  for (const name of (await readdir(extents)).sort()) {
    const file = await open(path.join(extents, name), 'r+');
    try {
      const { size } = await file.stat();
      const buf = Buffer.alloc(size);
      await file.read(buf, 0, size, 0);
      const at = buf.indexOf(needle);
      if (at < 0) continue;
      const pos = at + Math.floor(needle.byteLength / 2);
      await file.write(Buffer.from([buf[pos]! ^ 0xff]), 0, 1, pos);
      await file.datasync();
      return;
    } finally {
      await file.close();
    }
  }
  throw new Error(`the block was not found in the extents of ${dir}`);
}
