import type { MemberView } from '@platter/cluster';
import { placementV1 } from '@platter/proto';
import { Code, createRpcClient, RpcError } from '@platter/rpc';
import type { Registry } from '@platter/telemetry';
import type { PlacementClient } from './placement-allocator.js';

// One client per placement replica, from the member view; each call goes to
// a random live replica, so that a dead one costs a retry, not an outage.

const PLACEMENT_TIMEOUT_MS = 5_000;

export class PlacementClients {
  private readonly clients = new Map<string, PlacementClient>();

  constructor(
    private readonly members: MemberView,
    private readonly registry?: Registry,
  ) {}

  pick(): PlacementClient {
    const live = this.members.members().filter((m) => m.role === 'placement');
    if (live.length === 0) throw new RpcError(Code.UNAVAILABLE, 'no placement service is registered');
    const m = live[Math.floor(Math.random() * live.length)]!;
    let c = this.clients.get(m.grpcAddress);
    if (!c) {
      c = createRpcClient(placementV1.PlacementService, m.grpcAddress, {
        defaultTimeoutMs: PLACEMENT_TIMEOUT_MS,
        registry: this.registry,
      });
      this.clients.set(m.grpcAddress, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) void c.close();
    this.clients.clear();
  }
}
