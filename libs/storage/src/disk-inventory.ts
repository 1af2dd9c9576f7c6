import { setTimeout as sleep } from 'node:timers/promises';
import {
  DiskLiveRecordCodec,
  DiskRecordCodec,
  PrefixCache,
  type DiskRecord,
  type DiskState,
  type Etcd3,
  type FailureDomain,
  type Keyspace,
  type Membership,
  type RegisteredEvent,
} from '@platter/cluster';
import type { Logger } from '@platter/telemetry';
import type { DiskSet } from './disk-set.js';
import { protoDiskState, type DiskStateSnapshot, type DiskStateView } from './disk-state-view.js';
import { diskSpace } from './disk-usage.js';
import type { HostedDisk } from './hosted-disk.js';

/** Backoff of etcd writes and reads that failed (a blip right after registration), ms. */
const LIVE_RETRY_BASE_MS = 250;
const LIVE_RETRY_MAX_MS = 5_000;

export interface DiskInventoryOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  disks: DiskSet;
  /** This storage process's member id: the node that owns the disks. */
  nodeId: string;
  labels: FailureDomain;
  logger: Logger;
}

/**
 * This node's side of the etcd disk inventory:
 * - `disks/<id>` (persistent DiskRecord) is created if absent, in state
 *   `joining`, and never written again by the node: its state belongs to
 *   placement and operators;
 * - `disks-live/<id>` (DiskLiveRecord) is bound to the node's membership lease,
 *   put again after every re-registration, and removed at once when the disk
 *   fails, so the disk is live exactly while this node serves it;
 * - each disk's record is watched, so the service reads states from memory;
 *   its state epoch is the key's etcd version (what placement compares and
 *   publishes on SetDiskState), read at start and again after every change the
 *   watch reports, because the watched values do not carry it.
 */
export class DiskInventory implements DiskStateView {
  private readonly stop = new AbortController();
  private leaseId: string | undefined;
  private address: (() => string) | undefined;
  private readonly log: Logger;
  /** Per disk, the state and epoch of one read of its record (state and version from the same revision). */
  private readonly epochs = new Map<string, { state: DiskState; epoch: bigint; modRevision: bigint }>();

  private constructor(
    private readonly opts: DiskInventoryOptions,
    private readonly caches: Map<string, PrefixCache<DiskRecord>>,
  ) {
    this.log = opts.logger;
  }

  /** Creates missing records and opens the watches; fails fast if etcd cannot be reached. */
  static async open(opts: DiskInventoryOptions): Promise<DiskInventory> {
    for (const disk of opts.disks.all()) await ensureDiskRecord(opts, disk);
    const caches = new Map<string, PrefixCache<DiskRecord>>();
    try {
      for (const disk of opts.disks.all()) {
        const key = opts.keyspace.disk(disk.id);
        const cache = await PrefixCache.open({
          etcd: opts.etcd,
          prefix: key,
          decode: (raw, k) => DiskRecordCodec.decode(raw, k),
          logger: opts.logger,
        });
        caches.set(disk.id, cache);
      }
    } catch (err) {
      await Promise.allSettled([...caches.values()].map((c) => c.close()));
      throw err;
    }
    const inventory = new DiskInventory(opts, caches);
    try {
      for (const disk of opts.disks.all()) await inventory.readEpoch(disk.id);
    } catch (err) {
      await inventory.close();
      throw err;
    }
    for (const [diskId, cache] of caches) {
      cache.on('change', () => {
        opts.logger.info({ disk: diskId, state: inventory.record(diskId)?.state ?? null }, 'disk inventory state');
        void inventory.refreshEpoch(diskId);
      });
    }
    for (const disk of opts.disks.all()) disk.on('failed', () => void inventory.withdraw(disk));
    return inventory;
  }

  stateOf(diskId: string): DiskStateSnapshot {
    const record = this.record(diskId);
    const e = this.epochs.get(diskId);
    // Between a watched change and the read of its version (a few ms) the
    // epoch is unknown (0) rather than paired with the wrong state.
    const stateEpoch = record !== undefined && e?.state === record.state ? e.epoch : 0n;
    return { state: protoDiskState(record?.state), stateEpoch };
  }

  /** The inventory record as last seen (undefined before it exists). */
  record(diskId: string): DiskRecord | undefined {
    return this.caches.get(diskId)?.get(this.opts.keyspace.disk(diskId));
  }

  /**
   * Binds the live keys to the membership lease: they are put on every
   * (re-)registration, so a lease lost and granted again brings them back.
   * Call before the host registers (or after: a current lease is used at once).
   */
  attachLiveRecords(membership: Membership, address: () => string): void {
    this.address = address;
    membership.on('registered', (e: RegisteredEvent) => {
      this.leaseId = e.leaseId;
      void this.putLive(e.leaseId);
    });
    const current = membership.leaseId;
    if (current !== undefined) {
      this.leaseId = current;
      void this.putLive(current);
    }
  }

  /** Reads a disk record's version (its state epoch); an older answer than the one held is dropped. */
  private async readEpoch(diskId: string): Promise<void> {
    const key = this.opts.keyspace.disk(diskId);
    const kv = (await this.opts.etcd.get(key).exec()).kvs[0];
    if (kv === undefined) return;
    const modRevision = BigInt(kv.mod_revision);
    const held = this.epochs.get(diskId);
    if (held !== undefined && held.modRevision >= modRevision) return;
    const record = DiskRecordCodec.decode(kv.value, key);
    this.epochs.set(diskId, { state: record.state, epoch: BigInt(kv.version), modRevision });
  }

  /** readEpoch until it succeeds (etcd blips), backing off; stops with close(). */
  private async refreshEpoch(diskId: string): Promise<void> {
    for (let attempt = 0; !this.stop.signal.aborted; attempt++) {
      try {
        await this.readEpoch(diskId);
        return;
      } catch (err) {
        this.log.warn({ disk: diskId, err }, 'could not read the disk record version; retrying');
        await sleep(Math.min(LIVE_RETRY_BASE_MS * 2 ** attempt, LIVE_RETRY_MAX_MS), undefined, {
          signal: this.stop.signal,
        }).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.caches.values()].map((c) => c.close()));
  }

  private async putLive(leaseId: string): Promise<void> {
    const pending = new Set(this.opts.disks.all().filter((d) => !d.failed));
    for (let attempt = 0; pending.size > 0; attempt++) {
      if (this.stop.signal.aborted || this.leaseId !== leaseId) return;
      for (const disk of [...pending]) {
        if (disk.failed) {
          pending.delete(disk);
          continue;
        }
        try {
          const record = {
            diskId: disk.id,
            nodeId: this.opts.nodeId,
            grpcAddress: this.address?.() ?? '',
            since: new Date().toISOString(),
            ...(disk.diskUuid ? { diskUuid: disk.diskUuid } : {}),
          };
          await this.opts.etcd
            .put(this.opts.keyspace.diskLive(disk.id))
            .value(DiskLiveRecordCodec.encode(record))
            .lease(leaseId);
          pending.delete(disk);
          // A disk that failed while we wrote must not stay live.
          if (disk.failed) await this.withdraw(disk);
        } catch (err) {
          this.log.warn({ disk: disk.id, err }, 'could not write the live disk record; retrying');
        }
      }
      if (pending.size > 0)
        await sleep(Math.min(LIVE_RETRY_BASE_MS * 2 ** attempt, LIVE_RETRY_MAX_MS), undefined, {
          signal: this.stop.signal,
        }).catch(() => undefined);
    }
    this.log.info(
      {
        disks: this.opts.disks
          .all()
          .filter((d) => !d.failed)
          .map((d) => d.id),
        leaseId,
      },
      'disks registered live',
    );
  }

  /** Removes a failed disk's live key, so placement and repair stop counting on it. */
  private async withdraw(disk: HostedDisk): Promise<void> {
    this.log.error({ disk: disk.id, reason: disk.failureReason }, 'disk failed; withdrawing its live record');
    for (let attempt = 0; !this.stop.signal.aborted; attempt++) {
      try {
        await this.opts.etcd.delete().key(this.opts.keyspace.diskLive(disk.id));
        return;
      } catch (err) {
        this.log.warn({ disk: disk.id, err }, 'could not delete the live disk record; retrying');
        await sleep(Math.min(LIVE_RETRY_BASE_MS * 2 ** attempt, LIVE_RETRY_MAX_MS), undefined, {
          signal: this.stop.signal,
        }).catch(() => undefined);
      }
    }
  }
}

/**
 * Creates the disk's inventory record if there is none, in one transaction,
 * and otherwise leaves it alone: its state was set by placement or an
 * operator, and a node restarting must not undo that.
 */
async function ensureDiskRecord(opts: DiskInventoryOptions, disk: HostedDisk): Promise<void> {
  const key = opts.keyspace.disk(disk.id);
  const now = new Date().toISOString();
  const space = await diskSpace(disk);
  const record: DiskRecord = {
    diskId: disk.id,
    nodeId: opts.nodeId,
    labels: opts.labels,
    state: 'joining',
    capacityBytes: Number(space.capacityBytes),
    createdAt: now,
    updatedAt: now,
  };
  const { etcd } = opts;
  const res = await etcd
    .if(key, 'Create', '==', 0)
    .then(etcd.put(key).value(DiskRecordCodec.encode(record)))
    .else(etcd.get(key))
    .commit();
  if (res.succeeded) {
    opts.logger.info({ disk: disk.id, state: record.state }, 'disk added to the inventory');
    return;
  }
  const kv = res.responses[0]?.response_range?.kvs[0];
  const existing = kv === undefined ? undefined : DiskRecordCodec.decode(kv.value, key);
  if (existing !== undefined && existing.nodeId !== opts.nodeId) {
    opts.logger.warn(
      { disk: disk.id, recordedNode: existing.nodeId, node: opts.nodeId },
      'the inventory names another node for this disk; leaving it to placement',
    );
  }
  opts.logger.info({ disk: disk.id, state: existing?.state }, 'disk found in the inventory');
}
