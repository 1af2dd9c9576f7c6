import { namespaceV1 } from '@platter/proto';
import type { HandlerContext, ServiceImpl } from '@platter/rpc';
import type { Logger } from '@platter/telemetry';
import { toNamespaceRpcError } from '../error-status.js';
import { NamespaceError } from '../errors.js';
import { op, type OpRequest, type OpResponse, type OpType } from '../state/ops.js';
import type { PartitionStateMachine } from '../state/partition-state-machine.js';
import { createBatchHandler, createBatchStreamHandler } from './batch-handler.js';
import { checkKeyPartition, routedReplica, type ReplicaLookup } from './routing-checks.js';

export interface NamespaceServiceOptions {
  replicas: ReplicaLookup;
  /** The cluster's partition count (keys are checked against their partition). */
  partitionCount: number;
  /** Where a Batch op's unexpected failure is logged (the unary server logs its own). */
  logger?: Logger;
}

type Routed = { route?: namespaceV1.PartitionRoute };
type Handlers = ServiceImpl<typeof namespaceV1.NamespaceService>;

/**
 * NamespaceService over the replicas this process hosts. Each call names its
 * partition and epoch (PartitionRoute): writes run at the head and answer once
 * the tail holds them; reads run at the tail. A call for a partition not
 * hosted here, a key outside the partition or the wrong role is refused with
 * FAILED_PRECONDITION (WRONG_PARTITION / WRONG_ROLE), a stale epoch with
 * STALE_EPOCH, a replica that may not serve with UNAVAILABLE: the caller
 * refreshes its routing table and goes elsewhere (NamespaceRouter does).
 * Bucket records are per partition (every partition keeps a copy); spreading
 * a bucket change over partitions is the router's job. Batch runs several
 * PutObject / DeleteObject / GetObject ops through these same handlers at
 * once, each answered on its own.
 */
export function createNamespaceService(
  opts: NamespaceServiceOptions,
): ServiceImpl<typeof namespaceV1.NamespaceService> {
  const { replicas, partitionCount } = opts;

  async function write<T extends OpType>(
    type: T,
    request: OpRequest<T> & Routed,
    ctx: HandlerContext,
    key?: { bucket: string; key: string },
  ): Promise<OpResponse<T>> {
    try {
      const replica = routedReplica(replicas, request.route);
      if (replica instanceof NamespaceError) throw replica;
      if (key !== undefined) {
        const wrong = checkKeyPartition(request.route, key.bucket, key.key, partitionCount);
        if (wrong) throw wrong;
      }
      const outcome = await replica.write(op(type, request) as never, request.route, ctx.signal);
      if (outcome instanceof NamespaceError) throw outcome;
      return outcome.response as OpResponse<T>;
    } catch (error) {
      throw error instanceof NamespaceError ? toNamespaceRpcError(error) : error;
    }
  }

  function read<R>(
    request: Routed,
    fn: (sm: PartitionStateMachine) => R | NamespaceError,
    key?: { bucket: string; key: string },
  ): R {
    const replica = routedReplica(replicas, request.route);
    if (replica instanceof NamespaceError) throw toNamespaceRpcError(replica);
    if (key !== undefined) {
      const wrong = checkKeyPartition(request.route, key.bucket, key.key, partitionCount);
      if (wrong) throw toNamespaceRpcError(wrong);
    }
    const sm = replica.reader(request.route);
    if (sm instanceof NamespaceError) throw toNamespaceRpcError(sm);
    const result = fn(sm);
    if (result instanceof NamespaceError) throw toNamespaceRpcError(result);
    return result;
  }

  const putObject: Handlers['putObject'] = (req, ctx) => write('putObject', req, ctx, req);
  const deleteObject: Handlers['deleteObject'] = (req, ctx) => write('deleteObject', req, ctx, req);
  const getObject: Handlers['getObject'] = async (req) =>
    read(
      req,
      (sm) => {
        const version = sm.getObject(req);
        return version instanceof NamespaceError ? version : { version };
      },
      req,
    );

  const batch = createBatchHandler({ putObject, deleteObject, getObject }, opts.logger);
  return {
    batch,
    batchStream: createBatchStreamHandler(batch),
    createBucket: (req, ctx) => write('createBucket', req, ctx),
    deleteBucket: (req, ctx) => write('deleteBucket', req, ctx),
    setBucketVersioning: (req, ctx) => write('setBucketVersioning', req, ctx),
    putObject,
    getObject,
    deleteObject,
    createMultipartUpload: (req, ctx) => write('createMultipartUpload', req, ctx, req),
    registerPart: (req, ctx) => write('registerPart', req, ctx, req),
    completeMultipartUpload: (req, ctx) => write('completeMultipartUpload', req, ctx, req),
    abortMultipartUpload: (req, ctx) => write('abortMultipartUpload', req, ctx, req),
    updateShardLocation: (req, ctx) => {
      const part = req.shard?.part;
      return write('updateShardLocation', req, ctx, part && { bucket: part.bucket, key: part.key });
    },
    getBucket: async (req) =>
      read(req, (sm) => {
        const bucket = sm.getBucket(req.name);
        return bucket instanceof NamespaceError ? bucket : { bucket };
      }),
    listBuckets: async (req) => read(req, (sm) => sm.listBuckets(req)),
    listObjects: async (req) => read(req, (sm) => sm.listObjects(req)),
    listObjectVersions: async (req) => read(req, (sm) => sm.listObjectVersions(req)),
    listParts: async (req) => read(req, (sm) => sm.listParts(req), req),
    listMultipartUploads: async (req) => read(req, (sm) => sm.listMultipartUploads(req)),
    listDiskShards: async (req) => read(req, (sm) => sm.listDiskShards(req)),
    getPartLayout: async (req) =>
      read(
        req,
        (sm) => {
          const part = sm.getPartLayout(req.part);
          return part instanceof NamespaceError ? part : { part };
        },
        req.part && { bucket: req.part.bucket, key: req.part.key },
      ),
  };
}
