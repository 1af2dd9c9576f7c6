// The provider suite of the PlacementService contract (placement.proto). The
// real server passes it over real gRPC (service/placement-service.spec.ts);
// a consumer's fake must pass the same suite before tests may lean on it.
// Every RPC and every error code the contract names is exercised here.
import { commonV1, placementV1 } from '@platter/proto';
import { Code, RpcError, codeName, type RpcClient } from '@platter/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readErrorDetail } from '@platter/rpc';

export type PlacementClient = RpcClient<typeof placementV1.PlacementService>;

/** What a server under test must give the suite. */
export interface PlacementContractTarget {
  client: PlacementClient;
  /**
   * A scheme the fleet places with every rule kept (one shard per host, at
   * most m per zone): at least k + m hosts over at least ceil((k+m)/m) zones.
   */
  scheme: { k: number; m: number };
  /** Every disk of the fleet: ACTIVE with a live lease when the suite starts. The suite restores what it changes. */
  disks: readonly { diskId: string; zone: string; host: string }[];
  teardown(): Promise<void>;
}

const R = commonV1.ErrorReason;
const S = commonV1.DiskState;
/** How long the suite waits for a state change to reach the server's watched view, ms. */
const VIEW_WAIT_MS = 10_000;
const VIEW_POLL_MS = 25;

/** Runs `call` and returns the RpcError it fails with (the test fails if it succeeds). */
export async function rpcFailure(call: () => Promise<unknown>): Promise<RpcError> {
  try {
    await call();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

function expectStatus(err: RpcError, code: Code, reason?: commonV1.ErrorReason): void {
  expect(codeName(err.code), err.message).toBe(codeName(code));
  if (reason !== undefined)
    expect(commonV1.ErrorReason[readErrorDetail(err)?.reason ?? 0]).toBe(commonV1.ErrorReason[reason]);
}

/** Polls ListDisks until the disk shows `state` (the view follows etcd through a watch). */
export async function waitForDiskState(
  client: PlacementClient,
  diskId: string,
  state: commonV1.DiskState,
): Promise<void> {
  const deadline = Date.now() + VIEW_WAIT_MS;
  for (;;) {
    const res = await client.listDisks({ diskIds: [diskId] });
    if (res.disks[0]?.state === state) return;
    if (Date.now() > deadline)
      throw new Error(`disk ${diskId} did not become ${commonV1.DiskState[state]} within ${VIEW_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, VIEW_POLL_MS));
  }
}

/** Registers the PlacementService contract suite; `setup` runs once before it. */
export function describePlacementContract(name: string, setup: () => Promise<PlacementContractTarget>): void {
  describe(`PlacementService contract: ${name}`, () => {
    let t: PlacementContractTarget;
    let zoneOf: Map<string, string>;
    let hostOf: Map<string, string>;

    beforeAll(async () => {
      t = await setup();
      zoneOf = new Map(t.disks.map((d) => [d.diskId, d.zone]));
      hostOf = new Map(t.disks.map((d) => [d.diskId, d.host]));
    });
    afterAll(() => t?.teardown());

    describe('AllocateStripe', () => {
      it('gives one disk per shard, in index order, on distinct hosts, at most m per zone, with full disk refs', async () => {
        const { k, m } = t.scheme;
        for (let round = 0; round < 20; round++) {
          const res = await t.client.allocateStripe({ dataShards: k, parityShards: m, sizeHintBytes: 1_000_000n });
          expect(res.shards.map((s) => s.shardIndex)).toEqual([...Array(k + m).keys()]);
          expect(res.allocationId).toMatch(/^[0-9a-f]{8,}$/);
          expect(res.underSpread).toBe(false);
          expect(res.relaxedRules).toEqual([]);
          const ids = res.shards.map((s) => s.disk?.diskId ?? '');
          expect(new Set(ids).size).toBe(k + m);
          expect(new Set(ids.map((id) => hostOf.get(id))).size).toBe(k + m);
          const perZone = new Map<string, number>();
          for (const id of ids) perZone.set(zoneOf.get(id)!, (perZone.get(zoneOf.get(id)!) ?? 0) + 1);
          expect(Math.max(...perZone.values())).toBeLessThanOrEqual(m);
          for (const s of res.shards) {
            expect(s.disk?.failureDomain?.zone).toBe(zoneOf.get(s.disk!.diskId));
            expect(s.disk?.failureDomain?.host).toBe(hostOf.get(s.disk!.diskId));
            expect(s.disk?.address).toMatch(/^[^\s/]+:\d+$/);
            expect(s.disk?.nodeId).not.toBe('');
            expect(s.diskStateEpoch).toBeGreaterThanOrEqual(1n);
          }
        }
      });

      it('places only the requested indexes, never on occupied or excluded disks or hosts', async () => {
        const { k, m } = t.scheme;
        const base = await t.client.allocateStripe({ dataShards: k, parityShards: m });
        const lost = [0, k + m - 1];
        const occupied = base.shards.filter((s) => !lost.includes(s.shardIndex)).map((s) => s.disk!.diskId);
        const excluded = base.shards.filter((s) => lost.includes(s.shardIndex)).map((s) => s.disk!.diskId);
        for (let round = 0; round < 10; round++) {
          const res = await t.client.allocateStripe({
            dataShards: k,
            parityShards: m,
            shardIndexes: lost,
            occupiedDiskIds: occupied,
            excludeDiskIds: excluded,
            ioClass: commonV1.IoClass.REPAIR,
          });
          expect(res.shards.map((s) => s.shardIndex)).toEqual(lost);
          for (const s of res.shards) {
            expect(occupied).not.toContain(s.disk!.diskId);
            expect(excluded).not.toContain(s.disk!.diskId);
          }
        }
        const host = t.disks[0]!.host;
        for (let round = 0; round < 10; round++) {
          const res = await t.client.allocateStripe({ dataShards: 1, parityShards: 1, excludeHosts: [host] });
          for (const s of res.shards) expect(hostOf.get(s.disk!.diskId)).not.toBe(host);
        }
      });

      it('answers INVALID_ARGUMENT for k or m of 0 and for shard indexes out of range or repeated', async () => {
        const { k, m } = t.scheme;
        expectStatus(
          await rpcFailure(() => t.client.allocateStripe({ dataShards: 0, parityShards: m })),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(
          await rpcFailure(() => t.client.allocateStripe({ dataShards: k, parityShards: 0 })),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(
          await rpcFailure(() => t.client.allocateStripe({ dataShards: k, parityShards: m, shardIndexes: [k + m] })),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(
          await rpcFailure(() => t.client.allocateStripe({ dataShards: k, parityShards: m, shardIndexes: [1, 1] })),
          Code.INVALID_ARGUMENT,
        );
      });

      it('answers FAILED_PRECONDITION (INSUFFICIENT_DISKS) naming the binding rule when no layout exists', async () => {
        // m = 1 allows one shard per zone: a stripe wider than the zones cannot be placed.
        const zones = new Set(t.disks.map((d) => d.zone)).size;
        const err = await rpcFailure(() => t.client.allocateStripe({ dataShards: zones, parityShards: 1 }));
        expectStatus(err, Code.FAILED_PRECONDITION, R.INSUFFICIENT_DISKS);
        expect(err.message).toContain('MAX_M_PER_ZONE');
        expect(readErrorDetail(err)?.resource).toBe('MAX_M_PER_ZONE');
        // Excluding every disk leaves none writable.
        const all = t.disks.map((d) => d.diskId);
        const none = await rpcFailure(() =>
          t.client.allocateStripe({ dataShards: 1, parityShards: 1, excludeDiskIds: all }),
        );
        expectStatus(none, Code.FAILED_PRECONDITION, R.INSUFFICIENT_DISKS);
        expect(readErrorDetail(none)?.resource).toBe('ACTIVE_DISKS');
      });
    });

    describe('ListDisks', () => {
      it('lists every disk sorted by id, with its failure domain, state, epoch and lease, from a known revision', async () => {
        const res = await t.client.listDisks({});
        const ids = res.disks.map((d) => d.disk!.diskId);
        expect(ids).toEqual(t.disks.map((d) => d.diskId).sort());
        expect(res.nextPageToken).toBe('');
        expect(res.inventoryRevision).toBeGreaterThan(0n);
        for (const d of res.disks) {
          expect(d.state).toBe(S.ACTIVE);
          expect(d.leaseAlive).toBe(true);
          expect(d.stateEpoch).toBeGreaterThanOrEqual(1n);
          expect(d.disk?.failureDomain?.zone).toBe(zoneOf.get(d.disk!.diskId));
          expect(d.registeredAt).toBeDefined();
        }
      });

      it('filters by state, ids, zone and host, and pages without gaps or repeats', async () => {
        const zone = t.disks[0]!.zone;
        const host = t.disks[0]!.host;
        const byZone = await t.client.listDisks({ zone });
        expect(byZone.disks.map((d) => d.disk!.diskId)).toEqual(
          t.disks
            .filter((d) => d.zone === zone)
            .map((d) => d.diskId)
            .sort(),
        );
        const byHost = await t.client.listDisks({ host });
        expect(byHost.disks.every((d) => d.disk?.failureDomain?.host === host)).toBe(true);
        expect(byHost.disks.length).toBe(t.disks.filter((d) => d.host === host).length);
        const two = [t.disks[1]!.diskId, t.disks[0]!.diskId];
        expect((await t.client.listDisks({ diskIds: two })).disks.map((d) => d.disk!.diskId)).toEqual([...two].sort());
        expect((await t.client.listDisks({ states: [S.RETIRED] })).disks).toEqual([]);
        const seen: string[] = [];
        let token = '';
        for (let page = 0; page < 100; page++) {
          const res = await t.client.listDisks({ pageSize: 4, pageToken: token });
          expect(res.disks.length).toBeLessThanOrEqual(4);
          seen.push(...res.disks.map((d) => d.disk!.diskId));
          token = res.nextPageToken;
          if (token === '') break;
        }
        expect(seen).toEqual(t.disks.map((d) => d.diskId).sort());
        expectStatus(await rpcFailure(() => t.client.listDisks({ pageToken: 'garbage!' })), Code.INVALID_ARGUMENT);
      });
    });

    describe('SetDiskState', () => {
      it('drains a disk (epoch + 1), treats a repeat as a no-op, then takes it out of allocation until reactivated', async () => {
        const diskId = t.disks[0]!.diskId;
        const before = (await t.client.listDisks({ diskIds: [diskId] })).disks[0]!;
        const drained = await t.client.setDiskState({ diskId, state: S.DRAINING, reason: 'contract: drain' });
        expect(drained.changed).toBe(true);
        expect(drained.disk?.state).toBe(S.DRAINING);
        expect(drained.disk?.stateEpoch).toBe(before.stateEpoch + 1n);
        expect(drained.disk?.stateReason).toBe('contract: drain');
        const again = await t.client.setDiskState({ diskId, state: S.DRAINING, reason: 'contract: retry' });
        expect(again.changed).toBe(false);
        expect(again.disk?.stateEpoch).toBe(drained.disk?.stateEpoch);
        await waitForDiskState(t.client, diskId, S.DRAINING);
        const { k, m } = t.scheme;
        for (let round = 0; round < 30; round++) {
          const res = await t.client.allocateStripe({ dataShards: k, parityShards: m });
          expect(res.shards.map((s) => s.disk!.diskId)).not.toContain(diskId);
        }
        const back = await t.client.setDiskState({
          diskId,
          state: S.ACTIVE,
          reason: 'contract: cancel drain',
          expectedStateEpoch: drained.disk!.stateEpoch,
        });
        expect(back.changed).toBe(true);
        await waitForDiskState(t.client, diskId, S.ACTIVE);
      });

      it('answers NOT_FOUND (NO_SUCH_DISK) for a disk that is not in the inventory', async () => {
        const err = await rpcFailure(() =>
          t.client.setDiskState({ diskId: 'no-such-disk-x', state: S.DRAINING, reason: 'contract' }),
        );
        expectStatus(err, Code.NOT_FOUND, R.NO_SUCH_DISK);
        expect(readErrorDetail(err)?.resource).toBe('no-such-disk-x');
      });

      it('answers INVALID_ARGUMENT without a reason or with an unspecified state', async () => {
        const diskId = t.disks[0]!.diskId;
        expectStatus(
          await rpcFailure(() => t.client.setDiskState({ diskId, state: S.DRAINING, reason: '' })),
          Code.INVALID_ARGUMENT,
        );
        expectStatus(
          await rpcFailure(() => t.client.setDiskState({ diskId, state: S.UNSPECIFIED, reason: 'contract' })),
          Code.INVALID_ARGUMENT,
        );
      });

      it('answers FAILED_PRECONDITION for a transition the lifecycle forbids, a stale epoch, and retiring a non-empty disk', async () => {
        const diskId = t.disks[1]!.diskId;
        const cur = (await t.client.listDisks({ diskIds: [diskId] })).disks[0]!;
        expectStatus(
          await rpcFailure(() => t.client.setDiskState({ diskId, state: S.RETIRED, reason: 'contract' })),
          Code.FAILED_PRECONDITION,
          R.INVALID_TRANSITION,
        );
        expectStatus(
          await rpcFailure(() => t.client.setDiskState({ diskId, state: S.JOINING, reason: 'contract' })),
          Code.FAILED_PRECONDITION,
          R.INVALID_TRANSITION,
        );
        const stale = await rpcFailure(() =>
          t.client.setDiskState({
            diskId,
            state: S.DRAINING,
            reason: 'contract',
            expectedStateEpoch: cur.stateEpoch + 7n,
          }),
        );
        expectStatus(stale, Code.FAILED_PRECONDITION, R.STALE_EPOCH);
        expect(readErrorDetail(stale)?.currentEpoch).toBe(cur.stateEpoch);
        // A draining disk whose emptiness nobody has reported cannot retire.
        const drained = await t.client.setDiskState({ diskId, state: S.DRAINING, reason: 'contract' });
        expectStatus(
          await rpcFailure(() => t.client.setDiskState({ diskId, state: S.RETIRED, reason: 'contract' })),
          Code.FAILED_PRECONDITION,
          R.DISK_NOT_EMPTY,
        );
        await t.client.setDiskState({
          diskId,
          state: S.ACTIVE,
          reason: 'contract: restore',
          expectedStateEpoch: drained.disk!.stateEpoch,
        });
        await waitForDiskState(t.client, diskId, S.ACTIVE);
      });
    });

    describe('GetFleetHeat', () => {
      it('counts every state, hosts and zones, and lists disks hottest first in pages', async () => {
        const res = await t.client.getFleetHeat({});
        const agg = res.aggregates!;
        expect(agg.disksByState.map((s) => s.state)).toEqual([S.JOINING, S.ACTIVE, S.DRAINING, S.FAILED, S.RETIRED]);
        expect(agg.disksByState.reduce((n, s) => n + s.disks, 0)).toBe(t.disks.length);
        expect(agg.hosts).toBe(new Set(t.disks.map((d) => d.host)).size);
        expect(agg.zones).toBe(new Set(t.disks.map((d) => d.zone)).size);
        expect(agg.fillMin).toBeLessThanOrEqual(agg.fillMean);
        expect(agg.fillMax).toBeGreaterThanOrEqual(agg.fillMean);
        expect(agg.heatP99).toBeLessThanOrEqual(agg.heatMax);
        expect(agg.computedAt).toBeDefined();
        expect(res.disks.length).toBe(t.disks.length);
        const known = res.disks.filter((d) => d.sample !== undefined).map((d) => d.heat);
        expect(known).toEqual([...known].sort((a, b) => b - a));
        const seen: string[] = [];
        let token = '';
        for (let page = 0; page < 100; page++) {
          const p = await t.client.getFleetHeat({ pageSize: 5, pageToken: token });
          expect(p.aggregates?.disksByState).toEqual(agg.disksByState);
          seen.push(...p.disks.map((d) => d.disk!.diskId));
          token = p.nextPageToken;
          if (token === '') break;
        }
        expect([...seen].sort()).toEqual(t.disks.map((d) => d.diskId).sort());
        const zone = t.disks[0]!.zone;
        const inZone = await t.client.getFleetHeat({ zone });
        expect(inZone.aggregates?.zones).toBe(1);
        expect(inZone.disks.every((d) => d.disk?.failureDomain?.zone === zone)).toBe(true);
      });

      it('lists only the disks at or above a multiple of the mean heat, and those of unknown heat', async () => {
        const all = await t.client.getFleetHeat({});
        const mean = all.aggregates!.heatMean;
        for (const min of [0.5, 1, 1.5, 1e9]) {
          const res = await t.client.getFleetHeat({ minRelativeHeat: min });
          const want = all.disks.filter((d) => d.sample === undefined || d.heat >= min * mean);
          expect(res.disks.map((d) => d.disk!.diskId).sort()).toEqual(want.map((d) => d.disk!.diskId).sort());
          expect(res.aggregates!.disksByState).toEqual(all.aggregates!.disksByState);
        }
        expectStatus(await rpcFailure(() => t.client.getFleetHeat({ minRelativeHeat: -1 })), Code.INVALID_ARGUMENT);
      });
    });
  });
}
