import { namespaceV1 } from '@platter/proto';
import { prefixSuccessor, readU64be, utf8 } from '@platter/namespace-client';
import { NULL_VERSION_ID, sequenceFromId } from '../encoding/ids.js';
import { readDescendingU64 } from '../encoding/key-codec.js';
import {
  decodeBucket,
  decodePart,
  decodeUpload,
  decodeVersion,
  decodeVersionMeta,
  isDeleteMarkerRecord,
} from '../encoding/records.js';
import {
  bucketPrefix,
  objectPrefix,
  partKey,
  partsPrefix,
  readPartNumber,
  uploadKey,
  versionKey,
} from '../encoding/table-keys.js';
import type { PartitionStore } from '../store/partition-store.js';

// Decoded bucket records kept per index (buckets per partition are few; the
// cache is dropped whole when full).
const MAX_DECODED_BUCKETS = 4096;

/** A stored version row: its sequence and its raw record. */
export interface VersionRow {
  sequence: bigint;
  record: Buffer;
}

export interface StoredUpload {
  sequence: bigint;
  upload: namespaceV1.MultipartUpload;
}

export interface StoredPart {
  partNumber: number;
  part: namespaceV1.UploadedPart;
}

/**
 * Typed point reads over the replicated tables. Used by prepare (inside the
 * write transaction, so it sees the batch's earlier entries) and by reads.
 */
export class ObjectIndex {
  // Every request reads its bucket's record; decoding protobuf costs far more
  // than the read, so decoded records are kept by their exact bytes (a changed
  // record has other bytes, so this is never stale, in or out of a transaction).
  private readonly decodedBuckets = new Map<string, namespaceV1.Bucket>();

  constructor(private readonly store: PartitionStore) {}

  /** The bucket's record here, if it is a bucket (a tombstone is not). */
  bucket(name: string): namespaceV1.Bucket | undefined {
    const record = this.bucketRecord(name);
    return record?.state === namespaceV1.BucketState.DROPPED ? undefined : record;
  }

  /** The record under the bucket's name, a tombstone (DROPPED) included. */
  bucketRecord(name: string): namespaceV1.Bucket | undefined {
    const raw = this.store.get('buckets', utf8(name));
    if (raw === undefined) return undefined;
    const memo = raw.toString('latin1');
    let bucket = this.decodedBuckets.get(memo);
    if (bucket === undefined) {
      if (this.decodedBuckets.size >= MAX_DECODED_BUCKETS) this.decodedBuckets.clear();
      bucket = decodeBucket(raw);
      this.decodedBuckets.set(memo, bucket);
    }
    return bucket;
  }

  /** Whether any version or delete marker of the bucket is left here (uploads do not count, as in S3). */
  bucketHasVersions(name: string): boolean {
    const prefix = bucketPrefix(name);
    return this.store.first('versions', prefix, prefixSuccessor(prefix)) !== undefined;
  }

  /** The newest version row of a key (object or delete marker). */
  latest(bucket: string, key: string): VersionRow | undefined {
    const prefix = objectPrefix(bucket, key);
    const row = this.store.first('versions', prefix, prefixSuccessor(prefix));
    if (row === undefined) return undefined;
    return { sequence: readDescendingU64(row.key, prefix.length), record: row.value };
  }

  /** The key's current version: the latest, unless it is a delete marker. */
  current(bucket: string, key: string): (VersionRow & { version: namespaceV1.ObjectVersion }) | undefined {
    const latest = this.latest(bucket, key);
    if (latest === undefined || isDeleteMarkerRecord(latest.record)) return undefined;
    return { ...latest, version: decodeVersionMeta(latest.record) };
  }

  versionRow(bucket: string, key: string, sequence: bigint): VersionRow | undefined {
    const record = this.store.get('versions', versionKey(bucket, key, sequence));
    return record === undefined ? undefined : { sequence, record };
  }

  nullSequence(bucket: string, key: string): bigint | undefined {
    const raw = this.store.get('null_versions', objectPrefix(bucket, key));
    return raw === undefined ? undefined : readU64be(raw);
  }

  /**
   * The sequence a version id names: 'malformed' for an id we never mint,
   * undefined for "null" when the key has no null version.
   */
  resolveVersionId(bucket: string, key: string, versionId: string): bigint | 'malformed' | undefined {
    if (versionId === NULL_VERSION_ID) return this.nullSequence(bucket, key);
    return sequenceFromId(versionId) ?? 'malformed';
  }

  /** A version by id, decoded with its layout; 'malformed' for an id we never mint. */
  version(bucket: string, key: string, versionId: string): VersionRow | 'malformed' | undefined {
    const sequence = this.resolveVersionId(bucket, key, versionId);
    if (sequence === undefined || sequence === 'malformed') return sequence;
    return this.versionRow(bucket, key, sequence);
  }

  decode(row: VersionRow, withLayout: boolean): namespaceV1.ObjectVersion {
    return withLayout ? decodeVersion(row.record) : decodeVersionMeta(row.record);
  }

  upload(bucket: string, key: string, uploadId: string): StoredUpload | undefined {
    const sequence = sequenceFromId(uploadId);
    if (sequence === undefined) return undefined;
    const raw = this.store.get('uploads', uploadKey(bucket, key, sequence));
    return raw === undefined ? undefined : { sequence, upload: decodeUpload(raw) };
  }

  part(uploadSequence: bigint, partNumber: number): namespaceV1.UploadedPart | undefined {
    const raw = this.store.get('parts', partKey(uploadSequence, partNumber));
    return raw === undefined ? undefined : decodePart(raw);
  }

  /** Registered parts of an upload in part-number order, starting after `afterPartNumber`. */
  *parts(uploadSequence: bigint, afterPartNumber = 0, limit?: number): Generator<StoredPart> {
    const prefix = partsPrefix(uploadSequence);
    const rows = this.store.range('parts', {
      start: partKey(uploadSequence, afterPartNumber + 1),
      end: prefixSuccessor(prefix),
      limit,
    });
    for (const row of rows) yield { partNumber: readPartNumber(row.key), part: decodePart(row.value) };
  }
}
