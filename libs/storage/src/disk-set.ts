import { ShardStore, type ShardStoreOptions } from '@platter/shardstore';
import type { Logger } from '@platter/telemetry';
import type { DiskConfig } from './config.js';
import type { DiskFaults } from './disk-faults.js';
import { HostedDisk } from './hosted-disk.js';

export interface OpenDisksOptions {
  /** From the etcd cluster config: a disk of another cluster is refused. */
  clusterId: string;
  /** From the etcd cluster config: the CRC block of every shard on these disks. */
  blockSizeBytes: number;
  logger: Logger;
  /** Put a modelled HDD in front of each disk. */
  hddModel?: boolean;
  /** Injected I/O faults per disk (tests and the local cluster only). */
  faults?: DiskFaults;
  /** Further engine options for every disk (tests: small extents, no reserve). */
  storeOptions?: Partial<Omit<ShardStoreOptions, 'dir' | 'clusterId' | 'blockSizeBytes'>>;
}

/** The disks this node hosts, by id. */
export class DiskSet {
  private readonly byId: Map<string, HostedDisk>;

  constructor(disks: readonly HostedDisk[]) {
    this.byId = new Map(disks.map((d) => [d.id, d]));
  }

  /**
   * Opens one ShardStore per configured disk, in parallel. A disk that cannot
   * be opened (foreign, damaged, unreadable) is kept as failed rather than
   * failing the process: the other disks still serve.
   */
  static async open(configs: readonly DiskConfig[], options: OpenDisksOptions): Promise<DiskSet> {
    const log = options.logger;
    const disks = await Promise.all(
      configs.map(async (c, i) => {
        const injector = options.faults?.injectorFor(c.id);
        try {
          const store = await ShardStore.open({
            ...options.storeOptions,
            dir: c.path,
            clusterId: options.clusterId,
            blockSizeBytes: options.blockSizeBytes,
            ...(options.hddModel ? { hdd: { seed: i + 1 } } : {}),
            ...(injector ? { faults: injector } : {}),
          });
          const r = store.recovery;
          log.info(
            {
              disk: c.id,
              path: c.path,
              diskUuid: store.identity.diskUuid,
              formatted: store.identity.formattedNow,
              recovery: r,
            },
            'disk opened',
          );
          return new HostedDisk(c.id, c.path, store);
        } catch (err) {
          log.error({ disk: c.id, path: c.path, err }, 'disk could not be opened; serving it as failed');
          return new HostedDisk(c.id, c.path, undefined, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return new DiskSet(disks);
  }

  get(diskId: string): HostedDisk | undefined {
    return this.byId.get(diskId);
  }

  all(): HostedDisk[] {
    return [...this.byId.values()];
  }

  /** Waits for operations in flight and closes every store. */
  async close(): Promise<void> {
    await Promise.allSettled(this.all().map((d) => d.close()));
  }
}
