import { namespaceV1 } from '@platter/proto';
import { NamespaceError } from '../errors.js';
import { mergeListObjectVersionsPages, mergeListObjectsPages } from '@platter/namespace-client';
import { partitionOfKey } from '@platter/namespace-client';
import type { NamespaceOp } from '../state/ops.js';
import { PartitionStateMachine, type Committed } from '../state/partition-state-machine.js';
import { PartitionStore } from '../store/partition-store.js';
import { makeTempDir } from './temp-dir.js';

/**
 * Several partitions in one process, routed by partitionOfKey, with listings
 * fanned out and merged the way a caller of the namespace does: for tests of
 * the cross-partition listing.
 */
export class ShardedNamespace {
  private constructor(
    readonly partitions: PartitionStateMachine[],
    private readonly dirs: Array<{ remove: () => Promise<void> }>,
  ) {}

  static async create(count: number): Promise<ShardedNamespace> {
    const partitions: PartitionStateMachine[] = [];
    const dirs: Array<{ remove: () => Promise<void> }> = [];
    for (let i = 0; i < count; i++) {
      const tmp = await makeTempDir(`ns-part${i}`);
      dirs.push(tmp);
      partitions.push(
        new PartitionStateMachine({ store: PartitionStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 28 }) }),
      );
    }
    return new ShardedNamespace(partitions, dirs);
  }

  /** Bucket mutations go to every partition (each keeps a copy); object mutations to the key's owner. */
  async execute(op: NamespaceOp): Promise<Array<Committed<unknown> | NamespaceError>> {
    if (op.type === 'createBucket' || op.type === 'deleteBucket' || op.type === 'setBucketVersioning') {
      return Promise.all(this.partitions.map((p) => p.execute(op)));
    }
    if (op.type === 'putObject' || op.type === 'deleteObject') {
      const owner = this.partitions[partitionOfKey(op.request.bucket, op.request.key, this.partitions.length)];
      if (!owner) throw new Error('no partition');
      return [await owner.execute(op)];
    }
    throw new Error(`not routed here: ${op.type}`);
  }

  listObjects(
    request: namespaceV1.ListObjectsRequest,
    options: { scanBudgetRows?: number } = {},
  ): namespaceV1.ListObjectsResponse {
    const pages = this.partitions.map((p) => {
      const page = p.listObjects(request, options);
      if (page instanceof NamespaceError) throw page;
      return page;
    });
    return mergeListObjectsPages(pages, request);
  }

  listObjectVersions(request: namespaceV1.ListObjectVersionsRequest): namespaceV1.ListObjectVersionsResponse {
    const pages = this.partitions.map((p) => {
      const page = p.listObjectVersions(request);
      if (page instanceof NamespaceError) throw page;
      return page;
    });
    return mergeListObjectVersionsPages(pages, request);
  }

  async close(): Promise<void> {
    for (const p of this.partitions) await p.store.close();
    for (const d of this.dirs) await d.remove();
  }
}
