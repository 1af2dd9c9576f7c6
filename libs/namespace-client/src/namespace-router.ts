import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ChainRecordCodec,
  MemberView,
  PrefixCache,
  readClusterConfig,
  type ChainRecord,
  type Etcd3,
  type Keyspace,
} from '@platter/cluster';
import { commonV1, namespaceV1 } from '@platter/proto';
import { Code, errorReason, RpcError, createRpcClient, type CallOptions, type RpcClient } from '@platter/rpc';
import type { Logger, Registry } from '@platter/telemetry';
import { BatchStreamSender } from './batch-stream.js';
import { BatchCoalescer, type BatchableMethod } from './batch-coalescer.js';
import { mergeListMultipartUploadsPages, mergeListObjectVersionsPages, mergeListObjectsPages } from './list-merge.js';
import { homePartitionOfBucket, partitionOfKey } from './partition-of.js';

type Service = typeof namespaceV1.NamespaceService;
type NamespaceClient = RpcClient<Service>;
type Method = keyof Service['method'];
type Req<M extends Method> = MessageInitShape<Service['method'][M]['input']>;
type Res<M extends Method> = Awaited<ReturnType<NamespaceClient[M]>>;
/** A request as the router takes it: everything but the route, which it fills in. */
export type RouterRequest<M extends Method> = Omit<Req<M>, 'route' | '$typeName'>;

// Whole-call budget when the caller gives none: long enough to ride out a
// chain reconfiguration (lease TTL + a few seconds), short enough that a
// request does not hang on a dead cluster.
export const DEFAULT_ROUTER_TIMEOUT_MS = 20_000;
// One attempt at one replica: a frozen process must not take the whole budget.
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 4_000;
const RETRY_MIN_MS = 20;
// S3's page limit (and the default when max_keys is 0).
const S3_MAX_KEYS = 1_000;
// A listing asks each partition for its expected share of the page plus this
// many standard deviations, plus the slack: a partition's count among the
// page's keys is binomial (max, 1/n) with keys hashed evenly, so at 4 sigmas
// a partition runs short (and the merged page with it, still exact) about
// once in 30,000 pages. Every key asked beyond the page is encoded, sent,
// decoded and thrown away: 1.5 × max/n + 16 asked 56% more than the page at
// n = 4, this asks 24% more (1,000-key page: 1,236 keys instead of 1,564).
const LIST_SHARE_SIGMAS = 4;
const LIST_SLACK_KEYS = 4;
const RETRY_MAX_MS = 500;

export interface NamespaceRouterOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  logger: Logger;
  /** The cluster's partition count; read from the cluster config when absent. */
  partitionCount?: number;
  defaultTimeoutMs?: number;
  attemptTimeoutMs?: number;
  /**
   * Whether this process reaches etcd now (it holds its own membership
   * lease). While it does not, a refusal is answered at once instead of
   * waited out: the reconfiguration that would end it needs etcd, and so does
   * a fenced replica before it serves again. Absent, etcd counts as reachable.
   */
  etcdReachable?: () => boolean;
  registry?: Registry;
  /**
   * Send concurrent PutObject, DeleteObject and metadata-only GetObject calls
   * to the same replica together as one Batch (default true); false sends
   * each as its own call (to compare, or against a replica without Batch).
   */
  batching?: boolean;
}

// Read Batches in flight to one tail. Writes keep two (a write Batch waits on
// the whole chain); a read Batch is answered in well under a millisecond, so
// a second one in flight only makes the batches smaller: with one, 32
// concurrent S3 GETs of 4 KiB objects made 5.3 ops per Batch instead of 3.8
// and 2,078–2,570 GETs/s instead of 1,442–1,958 on the local cluster (five
// alternating pairs), the per-call gRPC cost at the tail being most of what
// a read costs there.
const READ_BATCHES_IN_FLIGHT = 1;

/**
 * One replica's client and the coalescers of its batchable calls: reads and
 * writes apart, because a Batch answers when its slowest op is done and a
 * write waits for the whole chain — a read must not wait behind one.
 */
interface Connection {
  address: string;
  client: NamespaceClient;
  writes: BatchCoalescer;
  reads: BatchCoalescer;
  /** Set once the replica answered UNIMPLEMENTED to a Batch (it predates it): unary from then on. */
  unbatched: boolean;
}

const R = commonV1.ErrorReason;
const STEP = namespaceV1.DeleteBucketStep;

/**
 * The client side of the namespace: watches the chain records and the
 * namespace members in etcd and sends each call to the right replica — writes
 * to the head of the key's partition, reads to its tail — with the chain
 * epoch it routed by. When a replica refuses (STALE_EPOCH, WRONG_ROLE,
 * WRONG_PARTITION, RECEIVER_BEHIND, UNAVAILABLE) or cannot be reached, it
 * waits for its view to change (or backs off) and tries again within the
 * call's deadline. Mutations carry their write_id, so a retry never applies
 * twice.
 *
 * PutObject, DeleteObject and metadata-only GetObject calls to the same
 * replica that are issued together (or while earlier ones are in flight) go
 * out as one Batch (BatchCoalescer), which saves the per-call gRPC cost; each
 * still succeeds, fails and is re-routed on its own, exactly as its unary
 * call would (option `batching: false` turns this off).
 *
 * Across partitions: a bucket's home partition (homePartitionOfBucket)
 * decides its creation and holds the record reads use; every other partition
 * gets a copy with the same write_id (object writes check their bucket
 * locally). Object listings ask every partition and merge the pages.
 *
 * Depends only on the contract, etcd and the pure partition and merge
 * helpers, so that it can move to a shared library for the frontend.
 */
export class NamespaceRouter {
  private readonly clients = new Map<string, Connection>();
  private readonly timeoutMs: number;
  private readonly attemptMs: number;
  private changed: Array<() => void> = [];

  private constructor(
    private readonly opts: NamespaceRouterOptions,
    private readonly chains: PrefixCache<ChainRecord>,
    private readonly members: MemberView,
    readonly partitionCount: number,
  ) {
    this.timeoutMs = opts.defaultTimeoutMs ?? DEFAULT_ROUTER_TIMEOUT_MS;
    this.attemptMs = opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const wake = (): void => {
      const waiting = this.changed;
      this.changed = [];
      for (const w of waiting) w();
    };
    chains.on('change', wake);
    members.on('change', wake);
  }

  static async open(opts: NamespaceRouterOptions): Promise<NamespaceRouter> {
    let partitions = opts.partitionCount;
    if (partitions === undefined) {
      const config = await readClusterConfig(opts.etcd, opts.keyspace);
      if (config === undefined) throw new Error('no cluster config in etcd: cannot route namespace calls');
      partitions = config.partitions;
    }
    const chains = await PrefixCache.open<ChainRecord>({
      etcd: opts.etcd,
      prefix: opts.keyspace.chainsPrefix(),
      decode: (raw, key) => ChainRecordCodec.decode(raw, key),
      logger: opts.logger.child({ component: 'namespace-router' }),
    });
    const members = await MemberView.open({
      etcd: opts.etcd,
      keyspace: opts.keyspace,
      role: 'namespace',
      logger: opts.logger,
    });
    return new NamespaceRouter(opts, chains, members, partitions);
  }

  /** The chain record of a partition as this router sees it. */
  chain(partition: number): ChainRecord | undefined {
    return this.chains.get(this.opts.keyspace.chain(partition));
  }

  async close(): Promise<void> {
    await this.chains.close();
    await this.members.close();
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }

  // ---------------------------------------------------------------- buckets

  /**
   * Creates a bucket at its home partition, which decides it and gives it an
   * incarnation, then copies the home's record to every other partition.
   * A copy carries the incarnation, so a partition that a deletion of this
   * bucket has passed already refuses it (NO_SUCH_BUCKET): the creation was
   * ordered before that deletion, and the caller is answered as such.
   */
  async createBucket(req: RouterRequest<'createBucket'>, options?: CallOptions): Promise<Res<'createBucket'>> {
    const deadline = this.deadline(options);
    const name = req.name ?? '';
    const home = homePartitionOfBucket(name, this.partitionCount);
    const o = { ...options, deadline };
    let first: Res<'createBucket'> | undefined;
    let failure: unknown;
    let incarnation: bigint;
    try {
      first = await this.call(home, 'head', 'createBucket', { ...req, incarnation: 0n }, o);
      incarnation = first.bucket?.incarnation ?? 0n;
    } catch (error) {
      // Owned by the caller already: the copies may be what a failed first attempt left out.
      if (errorReason(error) !== R.BUCKET_ALREADY_OWNED_BY_YOU) throw error;
      failure = error;
      // The tail has it unless the earlier attempt is still on its way down the chain: then retry later.
      const got = await this.call(home, 'tail', 'getBucket', { name }, o).catch(() => undefined);
      if (got === undefined) throw error;
      incarnation = got.bucket?.incarnation ?? 0n;
    }
    await this.others(home, (p) =>
      this.call(p, 'head', 'createBucket', { ...req, incarnation }, o).catch((error: unknown) => {
        const reason = errorReason(error);
        if (reason === R.BUCKET_ALREADY_OWNED_BY_YOU) return;
        // Deleted since (this partition dropped the incarnation): only with one to compare.
        if (reason === R.NO_SUCH_BUCKET && incarnation > 0n) return;
        throw error;
      }),
    );
    if (first === undefined) throw failure;
    return first;
  }

  /**
   * Deletes a bucket across partitions without letting a concurrent write
   * slip in (README, Deleting a bucket): seal the home's record, then every
   * other copy — each seal checks that its partition holds no version or
   * delete marker and, in the same entry, makes it refuse new writes; where
   * no copy has arrived yet it writes a sealed one of the home's record —
   * then drop the copies, the home record last, each leaving a tombstone of
   * the incarnation so that a copy still on its way is refused. If any seal
   * is refused (BUCKET_NOT_EMPTY) or fails, every copy this deletion may have
   * sealed is unsealed and the error is thrown. In-progress multipart uploads
   * do not keep the bucket alive: each drop removes them.
   */
  async deleteBucket(req: RouterRequest<'deleteBucket'>, options?: CallOptions): Promise<Res<'deleteBucket'>> {
    const deadline = this.deadline(options);
    const name = req.name ?? '';
    const writeId = req.writeId ?? '';
    const home = homePartitionOfBucket(name, this.partitionCount);
    const o = { ...options, deadline };
    // Fresh per call: a caller's retry with the same write_id after a rolled
    // back attempt must seal again, not be answered from the old seal's write id.
    const deletionId = randomUUID();
    let bucket: namespaceV1.Bucket | undefined;
    const step = (
      p: number,
      s: namespaceV1.DeleteBucketStep,
      writeIdOfStep: string,
      stepOptions: CallOptions = o,
    ): Promise<Res<'deleteBucket'>> =>
      this.call(p, 'head', 'deleteBucket', { writeId: writeIdOfStep, name, step: s, deletionId, bucket }, stepOptions);
    const sealWriteId = `${deletionId}/seal`;
    // The home first: its record (and incarnation) is what the other seals and drops name.
    const seals: Array<PromiseSettledResult<unknown>> = [];
    try {
      bucket = (await step(home, STEP.SEAL, sealWriteId)).bucket;
      seals.push(...(await Promise.allSettled(this.otherPartitions(home).map((p) => step(p, STEP.SEAL, sealWriteId)))));
    } catch (error) {
      seals.push({ status: 'rejected', reason: error });
    }
    const refused = seals.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused !== undefined) {
      // Every partition, not just the sealed ones: a seal that timed out may still have been committed.
      // Best effort: a copy left sealed refuses writes until a later DeleteBucket takes the seal over.
      const unseal = { ...o, deadline: Math.max(deadline, Date.now() + this.attemptMs) };
      await Promise.allSettled(this.allPartitions().map((p) => step(p, STEP.UNSEAL, `${deletionId}/unseal`, unseal)));
      throw refused.reason;
    }
    // Every copy is sealed and was empty when sealed; nothing can enter now.
    // The caller's write_id on the drops keeps a retry after success a success.
    await this.others(home, (p) =>
      step(p, STEP.DROP, writeId).catch((error: unknown) => {
        if (errorReason(error) !== R.NO_SUCH_BUCKET) throw error;
      }),
    );
    return step(home, STEP.DROP, writeId);
  }

  async setBucketVersioning(
    req: RouterRequest<'setBucketVersioning'>,
    options?: CallOptions,
  ): Promise<Res<'setBucketVersioning'>> {
    const o = { ...options, deadline: this.deadline(options) };
    const home = homePartitionOfBucket(req.name ?? '', this.partitionCount);
    const first = await this.call(home, 'head', 'setBucketVersioning', req, o);
    await this.others(home, (p) => this.call(p, 'head', 'setBucketVersioning', req, o));
    return first;
  }

  getBucket(req: RouterRequest<'getBucket'>, options?: CallOptions): Promise<Res<'getBucket'>> {
    return this.call(homePartitionOfBucket(req.name ?? '', this.partitionCount), 'tail', 'getBucket', req, options);
  }

  /** Every partition holds every bucket record: partition 0's list is the list. */
  listBuckets(req: RouterRequest<'listBuckets'>, options?: CallOptions): Promise<Res<'listBuckets'>> {
    return this.call(0, 'tail', 'listBuckets', req, options);
  }

  // ---------------------------------------------------------------- objects

  putObject(req: RouterRequest<'putObject'>, options?: CallOptions): Promise<Res<'putObject'>> {
    return this.keyed(this.keyPartition(req), 'head', 'putObject', req, options);
  }

  getObject(req: RouterRequest<'getObject'>, options?: CallOptions): Promise<Res<'getObject'>> {
    return this.keyed(this.keyPartition(req), 'tail', 'getObject', req, options);
  }

  deleteObject(req: RouterRequest<'deleteObject'>, options?: CallOptions): Promise<Res<'deleteObject'>> {
    return this.keyed(this.keyPartition(req), 'head', 'deleteObject', req, options);
  }

  async listObjects(req: RouterRequest<'listObjects'>, options?: CallOptions): Promise<Res<'listObjects'>> {
    const o = { ...options, deadline: this.deadline(options) };
    // Keys are hashed over partitions, so each holds about 1/n of any page:
    // asking each for all max_keys would move n times the page over the wire.
    const max = req.maxKeys === undefined || req.maxKeys === 0 ? S3_MAX_KEYS : Math.min(req.maxKeys, S3_MAX_KEYS);
    const n = this.partitionCount;
    const share = n === 1 ? max : Math.min(max, listShare(max, n));
    const pages = await Promise.all(
      this.allPartitions().map((p) => this.keyed(p, 'tail', 'listObjects', { ...req, maxKeys: share }, o)),
    );
    // The merge keeps only what lies below the lowest point where a partition
    // stopped, so a short share costs at worst a shorter (still exact) page.
    return mergeListObjectsPages(pages, create(namespaceV1.ListObjectsRequestSchema, { ...req, maxKeys: max }));
  }

  async listObjectVersions(
    req: RouterRequest<'listObjectVersions'>,
    options?: CallOptions,
  ): Promise<Res<'listObjectVersions'>> {
    const o = { ...options, deadline: this.deadline(options) };
    const pages = await Promise.all(
      this.allPartitions().map((p) => this.keyed(p, 'tail', 'listObjectVersions', req, o)),
    );
    return mergeListObjectVersionsPages(pages, create(namespaceV1.ListObjectVersionsRequestSchema, req));
  }

  // ---------------------------------------------------------------- multipart

  createMultipartUpload(
    req: RouterRequest<'createMultipartUpload'>,
    options?: CallOptions,
  ): Promise<Res<'createMultipartUpload'>> {
    return this.keyed(this.keyPartition(req), 'head', 'createMultipartUpload', req, options);
  }

  registerPart(req: RouterRequest<'registerPart'>, options?: CallOptions): Promise<Res<'registerPart'>> {
    return this.keyed(this.keyPartition(req), 'head', 'registerPart', req, options);
  }

  listParts(req: RouterRequest<'listParts'>, options?: CallOptions): Promise<Res<'listParts'>> {
    return this.keyed(this.keyPartition(req), 'tail', 'listParts', req, options);
  }

  async listMultipartUploads(
    req: RouterRequest<'listMultipartUploads'>,
    options?: CallOptions,
  ): Promise<Res<'listMultipartUploads'>> {
    const o = { ...options, deadline: this.deadline(options) };
    const pages = await Promise.all(
      this.allPartitions().map((p) => this.keyed(p, 'tail', 'listMultipartUploads', req, o)),
    );
    return mergeListMultipartUploadsPages(pages, create(namespaceV1.ListMultipartUploadsRequestSchema, req));
  }

  completeMultipartUpload(
    req: RouterRequest<'completeMultipartUpload'>,
    options?: CallOptions,
  ): Promise<Res<'completeMultipartUpload'>> {
    return this.keyed(this.keyPartition(req), 'head', 'completeMultipartUpload', req, options);
  }

  abortMultipartUpload(
    req: RouterRequest<'abortMultipartUpload'>,
    options?: CallOptions,
  ): Promise<Res<'abortMultipartUpload'>> {
    return this.keyed(this.keyPartition(req), 'head', 'abortMultipartUpload', req, options);
  }

  // ---------------------------------------------------------------- repair

  updateShardLocation(
    req: RouterRequest<'updateShardLocation'>,
    options?: CallOptions,
  ): Promise<Res<'updateShardLocation'>> {
    const part = req.shard?.part;
    return this.call(
      this.keyPartition({ bucket: part?.bucket, key: part?.key }),
      'head',
      'updateShardLocation',
      req,
      options,
    );
  }

  getPartLayout(req: RouterRequest<'getPartLayout'>, options?: CallOptions): Promise<Res<'getPartLayout'>> {
    const part = req.part;
    return this.call(
      this.keyPartition({ bucket: part?.bucket, key: part?.key }),
      'tail',
      'getPartLayout',
      req,
      options,
    );
  }

  /** One partition's disk index page (the index is per partition; callers walk every partition). */
  listDiskShards(
    partition: number,
    req: RouterRequest<'listDiskShards'>,
    options?: CallOptions,
  ): Promise<Res<'listDiskShards'>> {
    return this.call(partition, 'tail', 'listDiskShards', req, options);
  }

  // ---------------------------------------------------------------- routing

  /** One call to the head or tail of `partition`, re-routed until it succeeds, fails for good or runs out of time. */
  async call<M extends Method>(
    partition: number,
    role: 'head' | 'tail',
    method: M,
    request: RouterRequest<M>,
    options: CallOptions = {},
  ): Promise<Res<M>> {
    const deadline = this.deadline(options);
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      if (now >= deadline || options.signal?.aborted) {
        if (lastError instanceof RpcError) throw lastError;
        throw new RpcError(Code.DEADLINE_EXCEEDED, `no ${role} of partition ${partition} answered in time`);
      }
      const record = this.chain(partition);
      const member = record === undefined ? undefined : role === 'head' ? record.replicas[0] : record.replicas.at(-1);
      const connection = member === undefined ? undefined : this.connectionFor(member);
      if (record !== undefined && connection !== undefined) {
        const route: namespaceV1.PartitionRoute = {
          // A literal: create() walks the schema by reflection on every call.
          $typeName: 'platter.namespace.v1.PartitionRoute',
          partitionId: partition,
          chainEpoch: BigInt(record.epoch),
        };
        const attemptDeadline = Math.min(deadline, Date.now() + this.attemptMs);
        try {
          if (!connection.unbatched && this.batchable(method, options)) {
            const batcher = method === 'getObject' ? connection.reads : connection.writes;
            try {
              return (await batcher.submit(method as BatchableMethod, { ...request, route } as never, {
                deadline: attemptDeadline,
                signal: options.signal,
              })) as Res<M>;
            } catch (error) {
              const unimplemented = error instanceof RpcError && error.code === Code.UNIMPLEMENTED;
              // An answer too large for the Batch's response is asked again alone (a read: nothing ran twice).
              if (!unimplemented && errorReason(error) !== commonV1.ErrorReason.BATCH_RESPONSE_TOO_LARGE) throw error;
              // No unary handler answers UNIMPLEMENTED: only a replica without Batch
              // (mid-upgrade) does, and then nothing ran. Call it unary from now on.
              if (unimplemented) connection.unbatched = true;
            }
          }
          const fn = connection.client[method] as unknown as (r: unknown, o: CallOptions) => Promise<Res<M>>;
          return await fn({ ...request, route }, { ...options, timeoutMs: undefined, deadline: attemptDeadline });
        } catch (error) {
          if (!retryable(error)) throw error;
          lastError = error;
        }
      }
      if (this.opts.etcdReachable?.() === false) {
        if (lastError instanceof RpcError) throw lastError;
        throw new RpcError(Code.UNAVAILABLE, `no ${role} of partition ${partition} known, and etcd is out of reach`);
      }
      await this.waitForChange(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 5)), deadline);
    }
  }

  /**
   * A call on the partition of one key of a bucket. NO_SUCH_BUCKET there
   * while the bucket's home holds it active means the copy never arrived (a
   * router stopped between the home and the copies): the home's record is
   * copied there, and the call made once more. A copy of an incarnation that
   * partition dropped is refused, so this never revives a deleted bucket.
   */
  private async keyed<M extends Method>(
    partition: number,
    role: 'head' | 'tail',
    method: M,
    request: RouterRequest<M> & { bucket?: string },
    options?: CallOptions,
  ): Promise<Res<M>> {
    try {
      return await this.call(partition, role, method, request, options);
    } catch (error) {
      if (errorReason(error) !== R.NO_SUCH_BUCKET) throw error;
      if (!(await this.repairCopy(request.bucket ?? '', partition, options))) throw error;
      return this.call(partition, role, method, request, options);
    }
  }

  /** Copies the home's active record of `name` to `partition`; whether a copy is now there. */
  private async repairCopy(name: string, partition: number, options: CallOptions | undefined): Promise<boolean> {
    const home = homePartitionOfBucket(name, this.partitionCount);
    if (home === partition) return false;
    const got = await this.call(home, 'tail', 'getBucket', { name }, options).catch(() => undefined);
    const b = got?.bucket;
    if (!b || b.incarnation === 0n || b.state !== namespaceV1.BucketState.UNSPECIFIED) return false;
    const copy = {
      writeId: `copy/${randomUUID()}`,
      name,
      ownerAccountId: b.ownerAccountId,
      incarnation: b.incarnation,
      versioning: b.versioning,
    };
    try {
      await this.call(partition, 'head', 'createBucket', copy, options);
    } catch (error) {
      // Another caller repaired it first; anything else (dropped meanwhile) leaves the NoSuchBucket standing.
      return errorReason(error) === R.BUCKET_ALREADY_OWNED_BY_YOU;
    }
    return true;
  }

  private keyPartition(req: { bucket?: string; key?: string }): number {
    return partitionOfKey(req.bucket ?? '', req.key ?? '', this.partitionCount);
  }

  private allPartitions(): number[] {
    return Array.from({ length: this.partitionCount }, (_, i) => i);
  }

  private otherPartitions(home: number): number[] {
    return this.allPartitions().filter((p) => p !== home);
  }

  private async others(home: number, fn: (partition: number) => Promise<unknown>): Promise<void> {
    await Promise.all(this.otherPartitions(home).map(fn));
  }

  private deadline(options: CallOptions | undefined): number {
    const byTimeout = Date.now() + (options?.timeoutMs ?? this.timeoutMs);
    return options?.deadline === undefined ? byTimeout : Math.min(options.deadline, byTimeout);
  }

  /**
   * Whether a call goes into its replica's next Batch: the single-key calls
   * without per-call headers. A full GetObject may carry a layout of
   * thousands of parts: the replica answers those past the Batch's response
   * budget with BATCH_RESPONSE_TOO_LARGE, and they are asked again alone.
   */
  private batchable(method: Method, options: CallOptions): boolean {
    if (this.opts.batching === false || options.metadata !== undefined) return false;
    return method === 'putObject' || method === 'deleteObject' || method === 'getObject';
  }

  private connectionFor(memberId: string): Connection | undefined {
    const record = this.members.get('namespace', memberId);
    if (record === undefined) return undefined;
    const cached = this.clients.get(memberId);
    if (cached !== undefined && cached.address === record.grpcAddress) return cached;
    cached?.client.close();
    const client = createRpcClient(namespaceV1.NamespaceService, record.grpcAddress, {
      defaultTimeoutMs: this.attemptMs,
      registry: this.opts.registry,
      // Retrying the same address cannot help when the replica is gone: the router re-routes instead.
      retry: false,
    });
    const { send } = new BatchStreamSender({
      batch: (req, o) => client.batch(req, o),
      batchStream: (reqs, o) => client.batchStream(reqs, o),
    });
    const connection = {
      address: record.grpcAddress,
      client,
      writes: new BatchCoalescer(send),
      reads: new BatchCoalescer(send, { maxInFlight: READ_BATCHES_IN_FLIGHT }),
      unbatched: false,
    };
    this.clients.set(memberId, connection);
    return connection;
  }

  /** Resolves on the next change of chains or members, or after `ms`. */
  private waitForChange(ms: number, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.changed = this.changed.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, deadline - Date.now())));
      this.changed.push(done);
    });
  }
}

/** Keys to ask each of `n` partitions for, for a merged page of `max` (see LIST_SHARE_SIGMAS). */
function listShare(max: number, n: number): number {
  const p = 1 / n;
  return Math.ceil(max * p + LIST_SHARE_SIGMAS * Math.sqrt(max * p * (1 - p))) + LIST_SLACK_KEYS;
}

/** Errors that mean "this replica, now, cannot" rather than "the request is wrong". */
function retryable(error: unknown): boolean {
  if (!(error instanceof RpcError)) return false;
  switch (error.code) {
    case Code.UNAVAILABLE:
    case Code.CANCELLED:
      return true;
    case Code.DEADLINE_EXCEEDED:
      // One attempt ran out of its share; the whole call's deadline decides.
      return true;
    case Code.FAILED_PRECONDITION: {
      const reason = errorReason(error);
      return reason === R.STALE_EPOCH || reason === R.WRONG_ROLE || reason === R.WRONG_PARTITION;
    }
    default:
      return false;
  }
}
