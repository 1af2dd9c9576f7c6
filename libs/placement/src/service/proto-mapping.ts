import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { commonV1, placementV1 } from '@platter/proto';
import type { IoClass } from '../allocator.js';
import type { DiskState } from '../disk-snapshot.js';
import type { SpreadRule } from '../spread-rule.js';
import type { InventoryDisk } from './inventory-disk.js';

const PROTO_STATE: Readonly<Record<DiskState, commonV1.DiskState>> = {
  joining: commonV1.DiskState.JOINING,
  active: commonV1.DiskState.ACTIVE,
  draining: commonV1.DiskState.DRAINING,
  failed: commonV1.DiskState.FAILED,
  retired: commonV1.DiskState.RETIRED,
};

export function protoDiskState(state: DiskState): commonV1.DiskState {
  return PROTO_STATE[state];
}

/** The inventory state of a contract enum; undefined for UNSPECIFIED or a number we do not know. */
export function diskStateOf(state: commonV1.DiskState): DiskState | undefined {
  for (const [name, value] of Object.entries(PROTO_STATE)) if (value === state) return name as DiskState;
  return undefined;
}

export function ioClassOf(ioClass: commonV1.IoClass): IoClass {
  switch (ioClass) {
    case commonV1.IoClass.REPAIR:
      return 'repair';
    case commonV1.IoClass.REBALANCE:
      return 'rebalance';
    case commonV1.IoClass.SCRUB:
      return 'scrub';
    default:
      return 'foreground';
  }
}

const PROTO_RULE: Readonly<Record<SpreadRule, placementV1.SpreadRule>> = {
  MAX_M_PER_ZONE: placementV1.SpreadRule.MAX_M_PER_ZONE,
  ONE_SHARD_PER_HOST: placementV1.SpreadRule.ONE_SHARD_PER_HOST,
  SHUFFLE_SHARD: placementV1.SpreadRule.SHUFFLE_SHARD,
  FILL_LIMIT: placementV1.SpreadRule.FILL_LIMIT,
};

export function protoSpreadRule(rule: SpreadRule): placementV1.SpreadRule {
  return PROTO_RULE[rule];
}

/** DiskRef of an inventoried disk; disk_uuid comes from the live record (what is mounted now). */
export function diskRef(d: InventoryDisk): commonV1.DiskRef {
  return create(commonV1.DiskRefSchema, {
    diskId: d.record.diskId,
    diskUuid: d.live?.diskUuid ?? '',
    nodeId: d.live?.nodeId ?? d.record.nodeId,
    address: d.live?.grpcAddress ?? '',
    failureDomain: {
      zone: d.record.labels.zone ?? '',
      rack: d.record.labels.rack ?? '',
      host: d.record.labels.host ?? '',
    },
  });
}

/** placement.proto DiskRecord of an inventoried disk with its latest fresh heat. */
export function diskRecordMessage(d: InventoryDisk, heat: commonV1.DiskHeat | undefined): placementV1.DiskRecord {
  return create(placementV1.DiskRecordSchema, {
    disk: diskRef(d),
    state: protoDiskState(d.record.state),
    stateEpoch: BigInt(d.stateEpoch),
    stateChangedAt: timestampFromDate(new Date(d.record.updatedAt)),
    registeredAt: timestampFromDate(new Date(d.record.createdAt)),
    leaseAlive: d.live !== undefined,
    ...(heat === undefined ? {} : { heat }),
  });
}
