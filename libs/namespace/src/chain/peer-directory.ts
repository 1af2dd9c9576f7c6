import type { MemberView } from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';
import { createRpcClient, type RpcClient, type StreamedCalls } from '@platter/rpc';
import type { Registry } from '@platter/telemetry';

export type ReplicaClient = RpcClient<typeof namespaceV1.NamespaceReplicaService>;

/** How a replica reaches the other namespace members by id. */
export interface PeerDirectory {
  /** undefined while the member is not registered (its lease is gone). */
  replicaClient(memberId: string): ReplicaClient | undefined;
}

// Replica-to-replica calls are short (one group of entries, one ack); a frozen
// peer must not hold a chain for longer than this.
export const REPLICA_CALL_TIMEOUT_MS = 5_000;

/**
 * Replica clients by member id, addressed through the live member view (so a
 * restarted member on a new port is reached at its new address).
 */
export class MemberPeerDirectory implements PeerDirectory {
  private readonly clients = new Map<string, { address: string; client: ReplicaClient }>();

  constructor(
    private readonly members: Pick<MemberView, 'get'>,
    private readonly registry?: Registry,
  ) {}

  replicaClient(memberId: string): ReplicaClient | undefined {
    const record = this.members.get('namespace', memberId);
    if (record === undefined) return undefined;
    const cached = this.clients.get(memberId);
    if (cached !== undefined && cached.address === record.grpcAddress) return cached.client;
    cached?.client.close();
    const client = createRpcClient(namespaceV1.NamespaceReplicaService, record.grpcAddress, {
      defaultTimeoutMs: REPLICA_CALL_TIMEOUT_MS,
      registry: this.registry,
      // The chain loops retry by themselves, after re-reading their configuration.
      retry: false,
    });
    this.clients.set(memberId, { address: record.grpcAddress, client });
    return client;
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/**
 * A link's stream of calls to its peer: one StreamedCalls per replica client,
 * so a member reached at a new address (a new client) gets a new stream.
 */
export class PeerCalls<Req, Res> {
  private current: { client: ReplicaClient; calls: StreamedCalls<Req, Res> } | undefined;

  constructor(private readonly open: (client: ReplicaClient) => StreamedCalls<Req, Res>) {}

  to(client: ReplicaClient): StreamedCalls<Req, Res> {
    if (this.current?.client !== client) {
      this.current?.calls.close();
      this.current = { client, calls: this.open(client) };
    }
    return this.current.calls;
  }

  close(): void {
    this.current?.calls.close();
    this.current = undefined;
  }
}
