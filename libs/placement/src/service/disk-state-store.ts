import { DiskRecordCodec, type DiskRecord, type Etcd3, type Keyspace } from '@platter/cluster';
import { Code, RpcError } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';
import type { DiskState } from '../disk-snapshot.js';
import { isAllowedTransition, needsEmptyDisk } from '../disk-transitions.js';
import { DiskNotEmptyError, InvalidTransitionError, NoSuchDiskError, StaleEpochError } from './disk-state-errors.js';

/** Compare-and-set attempts before giving up with ABORTED: each retry means another writer just changed the disk. */
const MAX_CAS_ATTEMPTS = 5;

export interface DiskStateChange {
  diskId: string;
  state: DiskState;
  /** Why (operator text, or e.g. "auto-activated"); logged with the change. */
  reason: string;
  /** The state epoch the caller saw; 0 skips the check. */
  expectedStateEpoch: number;
}

export interface DiskStateResult {
  record: DiskRecord;
  stateEpoch: number;
  changed: boolean;
}

/** Where disk states are written. The etcd one below in production. */
export interface DiskStateStore {
  /**
   * Applies a change if the lifecycle allows it. `liveBytes` tells how many
   * live shard bytes a disk holds (undefined: unknown), for retiring a drained disk.
   */
  setState(change: DiskStateChange, liveBytes: (diskId: string) => number | undefined): Promise<DiskStateResult>;
}

export interface EtcdDiskStateStoreOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  logger: Logger;
  /** Wall clock for updatedAt; injectable for tests. */
  now?: () => Date;
}

/**
 * Writes `disks/<id>` with a compare-and-set on the key's mod revision, so
 * two replicas (or an operator and the leader) changing one disk at once never
 * lose an update: the loser re-reads and decides again against the new state.
 * The state epoch is the key's etcd version (see InventoryDisk).
 */
export class EtcdDiskStateStore implements DiskStateStore {
  private readonly now: () => Date;

  constructor(private readonly opts: EtcdDiskStateStoreOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async setState(change: DiskStateChange, liveBytes: (diskId: string) => number | undefined): Promise<DiskStateResult> {
    const { etcd, keyspace } = this.opts;
    const key = keyspace.disk(change.diskId);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const kv = (await etcd.get(key).exec()).kvs[0];
      if (kv === undefined) throw new NoSuchDiskError(change.diskId);
      const record = DiskRecordCodec.decode(kv.value, key);
      const epoch = Number(kv.version);
      if (change.expectedStateEpoch !== 0 && change.expectedStateEpoch !== epoch)
        throw new StaleEpochError(change.diskId, change.expectedStateEpoch, epoch);
      if (record.state === change.state) return { record, stateEpoch: epoch, changed: false };
      if (!isAllowedTransition(record.state, change.state))
        throw new InvalidTransitionError(change.diskId, record.state, change.state);
      if (needsEmptyDisk(record.state, change.state)) {
        const live = liveBytes(change.diskId);
        if (live === undefined || live > 0) throw new DiskNotEmptyError(change.diskId, live);
      }
      const next: DiskRecord = { ...record, state: change.state, updatedAt: this.now().toISOString() };
      const res = await etcd
        .if(key, 'Mod', '==', kv.mod_revision)
        .then(etcd.put(key).value(DiskRecordCodec.encode(next)))
        .commit();
      if (res.succeeded) {
        this.opts.logger.info(
          { disk: change.diskId, from: record.state, to: change.state, reason: change.reason, stateEpoch: epoch + 1 },
          'disk state changed',
        );
        return { record: next, stateEpoch: epoch + 1, changed: true };
      }
    }
    throw new RpcError(Code.ABORTED, `disk ${change.diskId} kept changing under ${MAX_CAS_ATTEMPTS} attempts; retry`);
  }
}
