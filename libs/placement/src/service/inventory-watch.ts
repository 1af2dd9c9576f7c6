import { EventEmitter } from 'node:events';
import {
  DiskLiveRecordCodec,
  DiskRecordCodec,
  PrefixCache,
  type DiskLiveRecord,
  type DiskRecord,
  type Etcd3,
  type Keyspace,
} from '@platter/cluster';
import type { Logger } from '@platter/telemetry';
import type { InventoryDisk } from './inventory-disk.js';

/**
 * Coalescing delay of inventory changes, ms: a storage node registering its
 * disks or a lease expiring touches many keys in a burst; one rebuild of the
 * view for the whole burst is enough, and 20 ms is invisible to operators.
 */
const COALESCE_MS = 20;
/** Retry delay of a failed epoch read, ms: etcd blips; the next change or retry fixes the epochs. */
const EPOCH_RETRY_MS = 1_000;

export interface InventoryWatchOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  logger: Logger;
}

/**
 * The disk inventory, always current, from two etcd watches (PrefixCache over
 * `disks/` and `disks-live/`). It never polls: after each burst of changes it
 * emits 'change' with the joined inventory, and the service rebuilds its view.
 *
 * PrefixCache keeps values only, so the state epoch (the record's etcd
 * version, see InventoryDisk) is read by one range read of `disks/` after
 * each burst that touched a record — in the background, never on a request.
 *
 * Events: 'change' (InventoryDisk[], revision).
 */
export class InventoryWatch extends EventEmitter {
  private timer: NodeJS.Timeout | undefined;
  private epochs = new Map<string, number>();
  private epochsDirty = false;
  private closed = false;
  private flushing = false;
  private pending = false;
  private readonly log: Logger;

  private constructor(
    private readonly opts: InventoryWatchOptions,
    private readonly records: PrefixCache<DiskRecord>,
    private readonly lives: PrefixCache<DiskLiveRecord>,
  ) {
    super();
    this.log = opts.logger;
    records.on('change', () => {
      this.epochsDirty = true;
      this.schedule();
    });
    lives.on('change', () => this.schedule());
  }

  /** Lists both prefixes and reads the epochs (fails fast when etcd is unreachable), then watches. */
  static async open(opts: InventoryWatchOptions): Promise<InventoryWatch> {
    const records = await PrefixCache.open({
      etcd: opts.etcd,
      prefix: opts.keyspace.disksPrefix(),
      decode: (raw, key) => DiskRecordCodec.decode(raw, key),
      logger: opts.logger,
    });
    let lives: PrefixCache<DiskLiveRecord>;
    try {
      lives = await PrefixCache.open({
        etcd: opts.etcd,
        prefix: opts.keyspace.disksLivePrefix(),
        decode: (raw, key) => DiskLiveRecordCodec.decode(raw, key),
        logger: opts.logger,
      });
    } catch (err) {
      await records.close();
      throw err;
    }
    const watch = new InventoryWatch(opts, records, lives);
    try {
      watch.epochs = await watch.readEpochs();
    } catch (err) {
      await watch.close();
      throw err;
    }
    return watch;
  }

  /** The inventory now: every disk record joined with its live record and epoch. */
  disks(): InventoryDisk[] {
    const { keyspace } = this.opts;
    const out: InventoryDisk[] = [];
    for (const record of this.records.values()) {
      out.push({
        record,
        stateEpoch: this.epochs.get(record.diskId) ?? 0,
        live: this.lives.get(keyspace.diskLive(record.diskId)),
      });
    }
    return out;
  }

  /** The later of the two watches' revisions. */
  get revision(): string {
    const a = BigInt(this.records.revision);
    const b = BigInt(this.lives.revision);
    return (a > b ? a : b).toString();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.removeAllListeners('change');
    await Promise.allSettled([this.records.close(), this.lives.close()]);
  }

  private schedule(delayMs = COALESCE_MS): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // One flush at a time: changes that arrive during one are picked up by the next.
      if (this.flushing) {
        this.pending = true;
        return;
      }
      this.flushing = true;
      void this.flush().finally(() => {
        this.flushing = false;
        if (this.pending) {
          this.pending = false;
          this.schedule(0);
        }
      });
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.epochsDirty) {
      this.epochsDirty = false;
      try {
        this.epochs = await this.readEpochs();
      } catch (err) {
        // The values are current; only epochs lag. Publish what we have and try again soon.
        this.log.warn({ err }, 'could not read disk record epochs; retrying');
        this.epochsDirty = true;
        this.schedule(EPOCH_RETRY_MS);
      }
    }
    if (!this.closed) this.emit('change', this.disks(), this.revision);
  }

  private async readEpochs(): Promise<Map<string, number>> {
    const { etcd, keyspace } = this.opts;
    const prefix = keyspace.disksPrefix();
    const res = await etcd.getAll().prefix(prefix).exec();
    const out = new Map<string, number>();
    for (const kv of res.kvs) out.set(kv.key.toString().slice(prefix.length), Number(kv.version));
    return out;
  }
}
