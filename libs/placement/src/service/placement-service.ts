import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { placementV1 } from '@platter/proto';
import { Code, RpcError, type ServiceImpl } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';
import type { Allocation, Allocator } from '../allocator.js';
import { DISK_STATES } from '../disk-snapshot.js';
import { InvalidDiskStateRequestError, NoSuchDiskError } from './disk-state-errors.js';
import type { DiskStateStore } from './disk-state-store.js';
import { summarizeFleetHeat, type FleetHeatSummary } from './fleet-heat-summary.js';
import type { InventoryDisk } from './inventory-disk.js';
import type { PlacementMetrics } from './placement-metrics.js';
import type { PlacementState } from './placement-state.js';
import { decodePageToken, encodePageToken, pageSize } from './page-token.js';
import {
  diskRecordMessage,
  diskRef,
  diskStateOf,
  ioClassOf,
  protoDiskState,
  protoSpreadRule,
} from './proto-mapping.js';
import { allocationFailureReason, inventoryUnavailable, toPlacementRpcError } from './status-mapping.js';

/** Longest reason a state change may carry, characters: it is operator text for logs, not a document. */
const MAX_REASON_LENGTH = 1_024;

export interface PlacementServiceDeps {
  state: PlacementState;
  allocator: Allocator;
  store: DiskStateStore;
  metrics: PlacementMetrics;
  /** Monotonic clock, ms: size-hint reservations expire on it (the heat poller uses the same one). */
  now: () => number;
  logger: Logger;
}

/** Random id of one allocation, for tracing: 16 hex characters. */
function allocationId(): string {
  return randomBytes(8).toString('hex');
}

/** How many rows, sorted hottest first, have heat ≥ floor (binary search: the page is a prefix). */
function countAtLeast(rows: readonly { heat: number }[], floor: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as { heat: number }).heat >= floor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function requireReady(state: PlacementState): void {
  if (!state.ready) throw inventoryUnavailable();
}

/**
 * The PlacementService contract over the watched views. No handler reads
 * etcd or Redis except SetDiskState, which must write etcd; every other
 * answer comes from memory.
 */
export function createPlacementService(deps: PlacementServiceDeps): ServiceImpl<typeof placementV1.PlacementService> {
  const { state, allocator, metrics, now } = deps;
  // One DiskRef per inventoried disk, built on first use: the inventory's objects are replaced
  // (not changed) when it changes, so a stale ref cannot be served, and a call builds no messages.
  const refs = new WeakMap<InventoryDisk, ReturnType<typeof diskRef>>();
  const refOf = (d: InventoryDisk): ReturnType<typeof diskRef> => {
    let ref = refs.get(d);
    if (ref === undefined) {
      ref = diskRef(d);
      refs.set(d, ref);
    }
    return ref;
  };
  let fleetHeat: (FleetHeatSummary & { generation: number; zone: string }) | undefined;

  function allocate(req: placementV1.AllocateStripeRequest): Allocation {
    const t0 = performance.now();
    try {
      requireReady(state);
      const allocation = allocator.allocate(
        state.view,
        {
          dataShards: req.dataShards,
          parityShards: req.parityShards,
          sizeHintBytes: Number(req.sizeHintBytes),
          shardIndexes: req.shardIndexes,
          occupiedDiskIds: req.occupiedDiskIds,
          excludeDiskIds: req.excludeDiskIds,
          excludeHosts: req.excludeHosts,
          ioClass: ioClassOf(req.ioClass),
        },
        now(),
      );
      metrics.allocated(allocation.underSpread ? 'under_spread' : 'ok', (performance.now() - t0) / 1000);
      return allocation;
    } catch (err) {
      metrics.allocationFailed(allocationFailureReason(toPlacementRpcError(err)), (performance.now() - t0) / 1000);
      throw toPlacementRpcError(err);
    }
  }

  return {
    async allocateStripe(req) {
      const allocation = allocate(req);
      const disks = state.inventory();
      return {
        allocationId: allocationId(),
        shards: allocation.shards.map((s) => ({
          shardIndex: s.shardIndex,
          // The view is built from the inventory in the same order, so its index names the same disk.
          disk: refOf(disks[s.diskIndex] as InventoryDisk),
          diskStateEpoch: BigInt(s.diskStateEpoch),
        })),
        underSpread: allocation.underSpread,
        relaxedRules: allocation.relaxedRules.map(protoSpreadRule),
      };
    },

    async listDisks(req) {
      requireReady(state);
      const states = new Set(req.states);
      const ids = new Set(req.diskIds);
      const limit = pageSize(req.pageSize);
      const after = req.pageToken === '' ? undefined : decodePageToken('disks', req.pageToken);
      const out: placementV1.DiskRecord[] = [];
      let last: string | undefined;
      let more = false;
      for (const d of state.inventory()) {
        const r = d.record;
        if (after !== undefined && r.diskId <= after) continue;
        if (states.size > 0 && !states.has(protoDiskState(r.state))) continue;
        if (ids.size > 0 && !ids.has(r.diskId)) continue;
        if (req.zone !== '' && r.labels.zone !== req.zone) continue;
        if (req.host !== '' && r.labels.host !== req.host) continue;
        if (out.length === limit) {
          more = true;
          break;
        }
        out.push(diskRecordMessage(d, state.heat(r.diskId)));
        last = r.diskId;
      }
      return {
        disks: out,
        nextPageToken: more && last !== undefined ? encodePageToken('disks', last) : '',
        inventoryRevision: BigInt(state.inventoryRevision),
      };
    },

    async setDiskState(req) {
      requireReady(state);
      try {
        const target = diskStateOf(req.state);
        if (target === undefined)
          throw new InvalidDiskStateRequestError(`state must be one of ${DISK_STATES.join(', ')}`, req.diskId);
        if (req.reason.trim() === '') throw new InvalidDiskStateRequestError('a reason is required', req.diskId);
        if (req.reason.length > MAX_REASON_LENGTH)
          throw new InvalidDiskStateRequestError(`reason is longer than ${MAX_REASON_LENGTH} characters`, req.diskId);
        if (req.diskId === '') throw new NoSuchDiskError(req.diskId);
        const result = await deps.store.setState(
          {
            diskId: req.diskId,
            state: target,
            reason: req.reason,
            expectedStateEpoch: Number(req.expectedStateEpoch),
          },
          (id) => {
            const usage = state.heat(id)?.usage;
            return usage === undefined ? undefined : Number(usage.liveBytes);
          },
        );
        const known = state.disk(req.diskId);
        const disk: InventoryDisk = { record: result.record, stateEpoch: result.stateEpoch, live: known?.live };
        const message = diskRecordMessage(disk, state.heat(req.diskId));
        message.stateReason = req.reason;
        return { disk: message, changed: result.changed };
      } catch (err) {
        throw toPlacementRpcError(err);
      }
    },

    async getFleetHeat(req) {
      requireReady(state);
      if (!(req.minRelativeHeat >= 0) || req.minRelativeHeat === Number.POSITIVE_INFINITY)
        throw new RpcError(Code.INVALID_ARGUMENT, 'min_relative_heat must be a finite number ≥ 0');
      // Every frontend asks once a second (read steering): the rows are sorted once per heat poll.
      if (fleetHeat?.generation !== state.generation || fleetHeat.zone !== req.zone)
        fleetHeat = { generation: state.generation, zone: req.zone, ...summarizeFleetHeat(state, req.zone) };
      const { rows, stats, aggregates } = fleetHeat;
      const view = state.view;
      const disks = state.inventory();
      // Hottest first, so the rows at or above the floor are a prefix (unknown heat sorts first and stays).
      const floor = req.minRelativeHeat * stats.heat.mean;
      const listed = req.minRelativeHeat > 0 ? rows.slice(0, countAtLeast(rows, floor)) : rows;
      const offset = req.pageToken === '' ? 0 : Number(decodePageToken('heat', req.pageToken));
      if (!Number.isInteger(offset) || offset < 0) throw new RpcError(Code.INVALID_ARGUMENT, 'malformed page_token');
      const limit = pageSize(req.pageSize);
      const page = listed.slice(offset, offset + limit);
      return {
        aggregates,
        disks: page.map(({ i }) => {
          const d = disks[i] as InventoryDisk;
          const sample = state.heat(d.record.diskId);
          const h = view.heat[i] as number;
          return create(placementV1.DiskHeatRowSchema, {
            disk: refOf(d),
            state: protoDiskState(d.record.state),
            heat: h === h ? h : 0,
            fillRatio: view.fillRatio(i),
            ...(sample === undefined ? {} : { sample }),
          });
        }),
        nextPageToken: offset + limit < listed.length ? encodePageToken('heat', String(offset + limit)) : '',
      };
    },
  };
}
