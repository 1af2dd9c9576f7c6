import { Code } from '@platter/rpc';
import { commonV1 } from '@platter/proto';
import type { Logger } from '@platter/telemetry';
import type { DiskSet } from './disk-set.js';
import type { DiskStateView } from './disk-state-view.js';
import { storageError } from './error-detail.js';
import type { HostedDisk } from './hosted-disk.js';

/** Who this node is, as DiskRef and DiskInfo report it. */
export interface NodeIdentity {
  nodeId: string;
  /** The advertised "host:port" of this node's gRPC server (known once it listens). */
  address: () => string;
  failureDomain: { zone?: string; rack?: string; host?: string };
}

export interface StorageServiceDeps {
  disks: DiskSet;
  states: DiskStateView;
  node: NodeIdentity;
  /** The cluster's block size: every shard on this node is cut in blocks of it. */
  blockSizeBytes: number;
  logger: Logger;
}

/** What every handler needs: the disks, their states, this node. */
export class StorageContext {
  readonly states: DiskStateView;
  readonly node: NodeIdentity;
  readonly blockSizeBytes: number;
  readonly logger: Logger;
  readonly disks: DiskSet;

  constructor(deps: StorageServiceDeps) {
    this.disks = deps.disks;
    this.states = deps.states;
    this.node = deps.node;
    this.blockSizeBytes = deps.blockSizeBytes;
    this.logger = deps.logger;
  }

  /** The hosted disk, or FAILED_PRECONDITION (WRONG_DISK): this node does not serve it. */
  disk(diskId: string): HostedDisk {
    const disk = this.disks.get(diskId);
    if (disk === undefined)
      throw storageError(
        Code.FAILED_PRECONDITION,
        commonV1.ErrorReason.WRONG_DISK,
        'this node does not serve the disk',
        diskId,
      );
    return disk;
  }
}
