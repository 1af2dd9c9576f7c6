import { create, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { Code, Metadata, RpcError, type HandlerContext, type ServiceImpl } from '@platter/rpc';
import type { PeerDirectory, ReplicaClient } from '../chain/peer-directory.js';
import { createReplicaService } from '../service/replica-service.js';
import type { ReplicaLookup } from '../service/routing-checks.js';

type Impl = ServiceImpl<typeof namespaceV1.NamespaceReplicaService>;

/**
 * Replicas of one test process talking through the real replica service
 * handlers without sockets: the chain protocol and its error trailers run as
 * they do over gRPC, and a member can be cut off (down) at will.
 */
export class LocalPeers implements PeerDirectory {
  private readonly impls = new Map<string, Impl>();
  readonly down = new Set<string>();
  /**
   * Members that answer like a replica from before ForwardRequest.journal_rows:
   * they never offer to take rows, and a Forward that carries rows anyway
   * fails (a real one would have taken it for an empty probe).
   */
  readonly withoutJournalRows = new Set<string>();
  /** Journal rows each member has been forwarded. */
  readonly journalRowsReceived = new Map<string, number>();

  register(memberId: string, lookup: ReplicaLookup): void {
    this.impls.set(memberId, createReplicaService(lookup));
  }

  replicaClient(memberId: string): ReplicaClient | undefined {
    const impl = this.impls.get(memberId);
    if (impl === undefined) return undefined;
    const check = (): void => {
      if (this.down.has(memberId)) throw new RpcError(Code.UNAVAILABLE, `${memberId} is down`);
    };
    const forwardIn = (req: namespaceV1.ForwardRequest): namespaceV1.ForwardRequest => {
      if (req.journalRows.length > 0 && this.withoutJournalRows.has(memberId)) {
        throw new RpcError(Code.INTERNAL, `${memberId} predates journal rows`);
      }
      this.journalRowsReceived.set(memberId, (this.journalRowsReceived.get(memberId) ?? 0) + req.journalRows.length);
      return req;
    };
    const forwardOut = (res: namespaceV1.ForwardResponse): namespaceV1.ForwardResponse => {
      if (this.withoutJournalRows.has(memberId)) res.readsJournalRows = false;
      return res;
    };
    const ctx = (): HandlerContext => ({
      signal: new AbortController().signal,
      deadline: undefined,
      metadata: new Metadata(),
      peer: 'local',
      callOptions: () => ({}),
    });
    async function* bidi<I extends DescMessage, O extends DescMessage>(
      requests: AsyncIterable<unknown>,
      input: I,
      output: O,
      handle: (checked: AsyncIterable<MessageShape<I>>) => AsyncIterable<MessageInitShape<O>>,
      hooks: {
        request?: (m: MessageShape<I>) => void;
        response?: (m: MessageShape<O>) => void;
      } = {},
    ): AsyncGenerator<MessageShape<O>> {
      check();
      const checked = async function* (): AsyncGenerator<MessageShape<I>> {
        for await (const r of requests) {
          check();
          const m = create(input, r as never);
          hooks.request?.(m);
          yield m;
        }
      };
      for await (const m of handle(checked())) {
        check();
        const out = create(output, m);
        hooks.response?.(out);
        yield out;
      }
    }
    const client = {
      forward: async (req: unknown) => {
        check();
        const res = await impl.forward(forwardIn(create(namespaceV1.ForwardRequestSchema, req as never)), ctx());
        check();
        return forwardOut(create(namespaceV1.ForwardResponseSchema, res));
      },
      ack: async (req: unknown) => {
        check();
        return create(
          namespaceV1.AckResponseSchema,
          await impl.ack(create(namespaceV1.AckRequestSchema, req as never), ctx()),
        );
      },
      getReplicaStatus: async (req: unknown) => {
        check();
        return create(
          namespaceV1.GetReplicaStatusResponseSchema,
          await impl.getReplicaStatus(create(namespaceV1.GetReplicaStatusRequestSchema, req as never), ctx()),
        );
      },
      // The streams as gRPC runs them: each request and answer passes the down check.
      forwardStream: (requests: AsyncIterable<unknown>) =>
        bidi(
          requests,
          namespaceV1.ForwardStreamRequestSchema,
          namespaceV1.ForwardStreamResponseSchema,
          (r) => impl.forwardStream(r, ctx()),
          {
            request: (m) => {
              if (m.forward) forwardIn(m.forward);
            },
            response: (m) => {
              if (m.forward) forwardOut(m.forward);
            },
          },
        ),
      ackStream: (requests: AsyncIterable<unknown>) =>
        bidi(requests, namespaceV1.AckStreamRequestSchema, namespaceV1.AckStreamResponseSchema, (r) =>
          impl.ackStream(r, ctx()),
        ),
      streamSnapshot: async function* (req: unknown) {
        check();
        for await (const m of impl.streamSnapshot(
          create(namespaceV1.StreamSnapshotRequestSchema, req as never),
          ctx(),
        )) {
          yield create(namespaceV1.StreamSnapshotResponseSchema, m);
        }
      },
      close: () => undefined,
    };
    return client as unknown as ReplicaClient;
  }
}
