import type { DigestPool } from '../digest/digest-pool.js';
import type { XmlParsePool } from '../http/xml-parse-pool.js';
import type { ShardAllocator, StorageDirectory, StripeCodec } from '../data/data-path-types.js';
import type { LatencyTracker } from '../data/latency-tracker.js';
import type { ReadStats } from '../data/part-reader.js';
import type { ReadSteering } from '../data/read-steering.js';
import type { PartScheme } from '../data/part-writer.js';
import type { NamespaceApi } from './namespace-api.js';

/** Shard indexes a write could not store, to be rebuilt once the version is committed. */
export interface RepairSink {
  missingShards(task: {
    bucket: string;
    key: string;
    versionId: string;
    partNumber: number;
    shardIndexes: number[];
  }): Promise<void>;
}

/** Everything the S3 object operations use. */
export interface ObjectStoreDeps {
  namespace: NamespaceApi;
  allocator: ShardAllocator;
  storage: StorageDirectory;
  codecFor(codecId: string, k: number, m: number): StripeCodec;
  latency: LatencyTracker;
  /** Steers whole-stripe reads off hot disks; absent, reads ask the data shards first. */
  steering?: ReadSteering;
  /** Counts of every GET's stripes that hedged or decoded (exported as metrics); none kept if absent. */
  readStats?: ReadStats;
  digests: DigestPool;
  /** Parses large XML bodies off the event loop; absent, every body is parsed on it. */
  xml?: XmlParsePool;
  /** The cluster's scheme for new writes. */
  scheme: PartScheme;
  /** Objects up to this size live in the namespace record itself. */
  inlineThresholdBytes: number;
  repair: RepairSink;
  region: string;
  /** Another name CreateBucket accepts for this cluster and GetBucketLocation reports; '' for none. */
  locationConstraint: string;
  /** Every part of a completed multipart upload but the last must be at least this big (S3: 5 MiB). */
  minPartSizeBytes: number;
}
