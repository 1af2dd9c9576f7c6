import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import type { ServiceImpl } from '@platter/rpc';
import { toNamespaceRpcError } from '../error-status.js';
import { NamespaceError } from '../errors.js';
import { routedReplica, type ReplicaLookup } from './routing-checks.js';

/** NamespaceReplicaService: the chain's own traffic (Forward, Ack and their streams, StreamSnapshot, GetReplicaStatus). */
export function createReplicaService(replicas: ReplicaLookup): ServiceImpl<typeof namespaceV1.NamespaceReplicaService> {
  const replicaOf = (partitionId: number) => {
    const replica = routedReplica(replicas, {
      $typeName: 'platter.namespace.v1.PartitionRoute',
      partitionId,
      chainEpoch: 0n,
    });
    if (replica instanceof NamespaceError) throw toNamespaceRpcError(replica);
    return replica;
  };
  return {
    forward: async (req) => {
      const res = await replicaOf(req.partitionId).onForward(req);
      if (res instanceof NamespaceError) throw toNamespaceRpcError(res);
      return res;
    },
    ack: async (req) => {
      const refused = replicaOf(req.partitionId).onAck(req);
      if (refused) throw toNamespaceRpcError(refused);
      return {};
    },
    // One message at a time, in order, each as its unary call; a refusal ends the stream with its status.
    forwardStream: async function* (requests) {
      for await (const { forward } of requests) {
        const req = forward ?? create(namespaceV1.ForwardRequestSchema);
        const res = await replicaOf(req.partitionId).onForward(req);
        if (res instanceof NamespaceError) throw toNamespaceRpcError(res);
        yield { forward: res };
      }
    },
    ackStream: async function* (requests) {
      for await (const { ack } of requests) {
        const req = ack ?? create(namespaceV1.AckRequestSchema);
        const refused = replicaOf(req.partitionId).onAck(req);
        if (refused) throw toNamespaceRpcError(refused);
        yield {};
      }
    },
    streamSnapshot: async function* (req, ctx) {
      const messages = replicaOf(req.partitionId).snapshot(req);
      if (messages instanceof NamespaceError) throw toNamespaceRpcError(messages);
      for (const message of messages) {
        if (ctx.signal.aborted) return;
        yield message;
      }
    },
    getReplicaStatus: async (req) => {
      const wanted = new Set(req.partitionIds);
      return {
        replicas: replicas
          .all()
          .filter((r) => wanted.size === 0 || wanted.has(r.partition))
          .map((r) => r.status()),
      };
    },
  };
}
