import { HeatKeyError } from './errors.js';

/** Default prefix of every Platter key in Redis; one Redis may serve several clusters with distinct prefixes. */
export const DEFAULT_HEAT_PREFIX = 'platter:';

// Disk ids as the storage config and the etcd inventory allow them (proto/README.md, "Identifiers").
const DISK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
// A prefix of printable characters ending in ':' so that keys read as "<prefix>heat:disk:<id>".
const PREFIX = /^[A-Za-z0-9._{}-]{1,64}:$/;

/**
 * The Redis key layout of heat telemetry, in one place:
 *
 *   <prefix>heat:disk:<diskId>  →  DiskHeat (protobuf binary), with a TTL
 *
 * Nothing else in Redis is written by this library.
 */
export class HeatKeyspace {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_HEAT_PREFIX) {
    if (!PREFIX.test(prefix))
      throw new HeatKeyError(
        `invalid heat key prefix ${JSON.stringify(prefix)}: expected 1-64 of [A-Za-z0-9._{}-] followed by ':'`,
      );
    this.prefix = prefix;
  }

  /** The key holding one disk's latest heat sample. */
  diskHeat(diskId: string): string {
    if (!DISK_ID.test(diskId)) throw new HeatKeyError(`invalid disk id ${JSON.stringify(diskId)}`);
    return `${this.prefix}heat:disk:${diskId}`;
  }

  /** Pattern matching every disk heat key (for SCAN by operators' tools). */
  diskHeatPattern(): string {
    return `${this.prefix}heat:disk:*`;
  }
}
