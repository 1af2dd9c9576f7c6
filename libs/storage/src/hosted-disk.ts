import { EventEmitter } from 'node:events';
import { Code, RpcError } from '@platter/rpc';
import { commonV1 } from '@platter/proto';
import { CorruptionError, DiskFailedError, type ShardStore } from '@platter/shardstore';
import { FilesystemUsageCache } from './disk-usage.js';
import { storageError } from './error-detail.js';
import { toStorageRpcError } from './status-mapping.js';
import type { StorageOp } from './storage-op.js';

/**
 * One disk of this node: its ShardStore (or why it could not be opened), the
 * operations in flight on it, and whether it has failed. A failed disk stays
 * failed until the process restarts (the engine's rule after a failed fsync),
 * and says so once through the 'failed' event.
 *
 * Events: 'failed' (reason: string), emitted at most once.
 */
export class HostedDisk extends EventEmitter {
  private inflightOps = 0;
  private failedReason: string | undefined;
  private corruptionCount = 0;
  private received = 0;
  private sent = 0;
  /** The filesystem's size and use, statfs shared by every caller for a second. */
  readonly filesystemUsage: FilesystemUsageCache;

  constructor(
    readonly id: string,
    readonly path: string,
    /** Undefined when the disk could not be opened; `openError` says why. */
    readonly store: ShardStore | undefined,
    readonly openError?: Error,
  ) {
    super();
    this.filesystemUsage = new FilesystemUsageCache(path);
    if (store === undefined) this.failedReason = `open failed: ${openError?.message ?? 'unknown error'}`;
  }

  /** The superblock UUID; empty when the disk could not be opened. */
  get diskUuid(): string {
    return this.store?.identity.diskUuid ?? '';
  }

  get failed(): boolean {
    this.checkStore();
    return this.failedReason !== undefined;
  }

  get failureReason(): string | undefined {
    return this.failedReason;
  }

  /** Operations on this disk now in service (RPCs, streams, compaction). */
  get inflight(): number {
    return this.inflightOps;
  }

  /** Shard reads and scrubs that found bytes failing their CRC, since start. */
  get corruptions(): number {
    return this.corruptionCount;
  }

  noteCorruption(count = 1): void {
    this.corruptionCount += count;
  }

  /** Shard bytes received from writers (PutShard) and sent to readers (GetShard) over RPC, since start. */
  get rpcBytes(): { received: number; sent: number } {
    return { received: this.received, sent: this.sent };
  }

  noteReceived(bytes: number): void {
    this.received += bytes;
  }

  noteSent(bytes: number): void {
    this.sent += bytes;
  }

  /**
   * The store for an operation, or the status that says why there is none:
   * a write to a disk that is out cannot succeed here (FAILED_PRECONDITION),
   * a read should go to another copy now (UNAVAILABLE).
   */
  storeFor(op: StorageOp): ShardStore {
    if (this.store !== undefined && !this.failed) return this.store;
    if (op === 'put')
      throw storageError(
        Code.FAILED_PRECONDITION,
        commonV1.ErrorReason.DISK_NOT_WRITABLE,
        'the disk has failed and takes no writes',
        this.id,
      );
    throw new RpcError(Code.UNAVAILABLE, 'the disk has failed');
  }

  /** Runs one operation against the store, counted in flight, with engine errors mapped to statuses. */
  async run<T>(op: StorageOp, shardId: string | undefined, fn: (store: ShardStore) => Promise<T>): Promise<T> {
    const store = this.storeFor(op);
    this.begin();
    try {
      return await fn(store);
    } catch (err) {
      throw this.mapError(err, op, shardId);
    } finally {
      this.end();
    }
  }

  /** Marks one more operation in flight; pair with end(). For streams that outlive one call. */
  begin(): void {
    this.inflightOps++;
  }

  end(): void {
    this.inflightOps--;
  }

  /** Maps an error of an operation on this disk, noting failures and corruption on the way. */
  mapError(err: unknown, op: StorageOp, shardId: string | undefined): unknown {
    if (err instanceof DiskFailedError) this.markFailed(err.message);
    // Stored bytes that failed their CRC; bytes damaged in transit are the writer's problem, not the disk's.
    if (err instanceof CorruptionError) this.noteCorruption();
    return toStorageRpcError(err, op, this.id, shardId);
  }

  /** Takes the disk out of service for the rest of this process's life. */
  markFailed(reason: string): void {
    if (this.failedReason !== undefined) return;
    this.failedReason = reason;
    this.emit('failed', reason);
  }

  async close(): Promise<void> {
    await this.store?.close();
  }

  // The engine may have failed during an operation that did not surface here
  // (compaction, a batch another request started): pick that up too.
  private checkStore(): void {
    if (this.failedReason === undefined && this.store?.failed === true)
      this.markFailed('the engine reported a write-path I/O error');
  }
}
