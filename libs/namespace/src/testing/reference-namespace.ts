import { createHash } from 'node:crypto';

/**
 * The reference model of one partition for the model-based test: plain maps
 * and arrays, S3's rules written down directly. Each mutation answers a short
 * summary string (or an error code) that the real state machine's response
 * must reproduce; ids derive from the sequence exactly as the contract says.
 */

export type Versioning = 'unversioned' | 'enabled' | 'suspended';

export interface RefLocation {
  diskId: string;
  shardId: string;
  shardIndex: number;
}

export interface RefPart {
  partNumber: number;
  size: bigint;
  etag: string;
  shards: RefLocation[];
}

export interface RefVersion {
  versionId: string;
  sequence: bigint;
  deleteMarker: boolean;
  etag: string;
  size: bigint;
  /** Striped parts, or undefined for inline data and delete markers. */
  parts?: RefPart[];
}

export interface RefUpload {
  uploadId: string;
  sequence: bigint;
  key: string;
  parts: Map<number, RefPart>;
}

export interface RefBucket {
  owner: string;
  versioning: Versioning;
  /** Newest first. */
  keys: Map<string, RefVersion[]>;
  uploads: Map<string, RefUpload>;
}

export type RefOutcome =
  { ok: true; sequence: bigint; summary: string; duplicate: boolean } | { ok: false; code: string };

type Attempt = { ok: true; summary: string; commit: () => void } | { ok: false; code: string };

export type Condition = { kind: 'none' } | { kind: 'ifNoneMatch' } | { kind: 'ifMatch'; etag: string };

const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');
const copyPart = (p: RefPart): RefPart => ({ ...p, shards: p.shards.map((s) => ({ ...s })) });
export const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function multipartEtagOf(etags: string[]): string {
  const md5 = createHash('md5');
  for (const e of etags) md5.update(Buffer.from(e, 'hex'));
  return `${md5.digest('hex')}-${etags.length}`;
}

/** "null", or 16 hex digits naming a sequence (never 0: sequences start at 1). */
export function isVersionId(id: string): boolean {
  return id === 'null' || (/^[0-9a-f]{16}$/.test(id) && !/^0{16}$/.test(id));
}

export class ReferenceNamespace {
  sequence = 0n;
  readonly buckets = new Map<string, RefBucket>();
  readonly writeIds = new Map<string, { type: string; sequence: bigint; summary: string }>();

  // ------------------------------------------------------------ plumbing

  private run(type: string, writeId: string, attempt: (sequence: bigint) => Attempt): RefOutcome {
    const seen = this.writeIds.get(writeId);
    if (seen) {
      if (seen.type !== type) return { ok: false, code: 'WRITE_ID_REUSED' };
      return { ok: true, sequence: seen.sequence, summary: seen.summary, duplicate: true };
    }
    const sequence = this.sequence + 1n;
    const result = attempt(sequence);
    if (!result.ok) return result;
    result.commit();
    this.sequence = sequence;
    this.writeIds.set(writeId, { type, sequence, summary: result.summary });
    return { ok: true, sequence, summary: result.summary, duplicate: false };
  }

  current(bucket: RefBucket, key: string): RefVersion | undefined {
    const latest = bucket.keys.get(key)?.[0];
    return latest && !latest.deleteMarker ? latest : undefined;
  }

  private conditionRefusal(bucket: RefBucket, key: string, condition: Condition): string | undefined {
    const current = this.current(bucket, key);
    if (condition.kind === 'ifNoneMatch') return current ? 'PRECONDITION_FAILED' : undefined;
    if (condition.kind === 'ifMatch') {
      if (!current) return 'NO_SUCH_KEY';
      return condition.etag === '*' || condition.etag === current.etag ? undefined : 'PRECONDITION_FAILED';
    }
    return undefined;
  }

  /**
   * A shard id fills one slot at most: true when one of `shards` is held by a
   * slot other than those this request frees (holders as diskIndex() names them).
   */
  private shardTaken(shards: RefLocation[], freed: (holder: string) => boolean): boolean {
    const index = this.diskIndex();
    return shards.some((s) => {
      const holder = index.get(`${s.diskId}/${s.shardId}`);
      return holder !== undefined && !freed(holder);
    });
  }

  /** Adds a version as S3 does for the bucket's versioning; returns [version id, replaced id]. */
  private addVersion(bucket: RefBucket, key: string, version: Omit<RefVersion, 'versionId'>): [string, string] {
    const list = bucket.keys.get(key) ?? [];
    let replaced = '';
    let versionId = hex16(version.sequence);
    if (bucket.versioning !== 'enabled') {
      versionId = 'null';
      const at = list.findIndex((v) => v.versionId === 'null');
      if (at >= 0) {
        list.splice(at, 1);
        replaced = 'null';
      }
    }
    // Copies: a retry of the same request must not see later changes (a moved shard).
    list.unshift({ ...version, parts: version.parts?.map(copyPart), versionId });
    bucket.keys.set(key, list);
    return [versionId, replaced];
  }

  private removeVersion(bucket: RefBucket, key: string, versionId: string): void {
    const list = (bucket.keys.get(key) ?? []).filter((v) => v.versionId !== versionId);
    if (list.length === 0) bucket.keys.delete(key);
    else bucket.keys.set(key, list);
  }

  // ------------------------------------------------------------ buckets

  createBucket(writeId: string, name: string, owner: string): RefOutcome {
    return this.run('createBucket', writeId, () => {
      const existing = this.buckets.get(name);
      if (existing)
        return { ok: false, code: existing.owner === owner ? 'BUCKET_ALREADY_OWNED_BY_YOU' : 'BUCKET_ALREADY_EXISTS' };
      return {
        ok: true,
        summary: `${name}:${owner}:unversioned`,
        commit: () => this.buckets.set(name, { owner, versioning: 'unversioned', keys: new Map(), uploads: new Map() }),
      };
    });
  }

  deleteBucket(writeId: string, name: string): RefOutcome {
    return this.run('deleteBucket', writeId, () => {
      const bucket = this.buckets.get(name);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      // In-progress uploads do not keep a bucket alive: they go with it.
      if (bucket.keys.size > 0) return { ok: false, code: 'BUCKET_NOT_EMPTY' };
      return { ok: true, summary: 'deleted', commit: () => this.buckets.delete(name) };
    });
  }

  setVersioning(writeId: string, name: string, versioning: 'enabled' | 'suspended'): RefOutcome {
    return this.run('setBucketVersioning', writeId, () => {
      const bucket = this.buckets.get(name);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      return { ok: true, summary: versioning, commit: () => void (bucket.versioning = versioning) };
    });
  }

  // ------------------------------------------------------------ objects

  put(
    writeId: string,
    b: string,
    key: string,
    condition: Condition,
    etag: string,
    size: bigint,
    parts?: RefPart[],
  ): RefOutcome {
    return this.run('putObject', writeId, (sequence) => {
      const bucket = this.buckets.get(b);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      const refused = this.conditionRefusal(bucket, key, condition);
      if (refused) return { ok: false, code: refused };
      const nullHolder = `${b}/${key}/v:null/`;
      const replacesNull = bucket.versioning !== 'enabled';
      if (this.shardTaken(parts?.flatMap((p) => p.shards) ?? [], (h) => replacesNull && h.startsWith(nullHolder))) {
        return { ok: false, code: 'INVALID_ARGUMENT' };
      }
      let summary = '';
      return {
        ok: true,
        get summary() {
          return summary;
        },
        commit: () => {
          const [id, replaced] = this.addVersion(bucket, key, { sequence, deleteMarker: false, etag, size, parts });
          summary = `${id}|${replaced}|${etag}`;
        },
      };
    });
  }

  delete(writeId: string, b: string, key: string, versionId: string, ifMatch: string | undefined): RefOutcome {
    return this.run('deleteObject', writeId, (sequence) => {
      const bucket = this.buckets.get(b);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      if (versionId === '') {
        if (ifMatch !== undefined) {
          const refused = this.conditionRefusal(bucket, key, { kind: 'ifMatch', etag: ifMatch });
          if (refused) return { ok: false, code: refused };
        }
        const existed = this.current(bucket, key) !== undefined;
        if (bucket.versioning === 'unversioned') {
          const hasNull = (bucket.keys.get(key) ?? []).some((v) => v.versionId === 'null');
          return {
            ok: true,
            summary: hasNull ? 'false|null|true' : 'false||false',
            commit: () => this.removeVersion(bucket, key, 'null'),
          };
        }
        const id = bucket.versioning === 'enabled' ? hex16(sequence) : 'null';
        return {
          ok: true,
          summary: `true|${id}|${existed}`,
          commit: () => void this.addVersion(bucket, key, { sequence, deleteMarker: true, etag: '', size: 0n }),
        };
      }
      if (!isVersionId(versionId)) return { ok: false, code: 'INVALID_ARGUMENT' };
      const version = (bucket.keys.get(key) ?? []).find((v) => v.versionId === versionId);
      if (!version) {
        if (ifMatch !== undefined) return { ok: false, code: 'NO_SUCH_KEY' };
        return { ok: true, summary: `false|${versionId}|false`, commit: () => undefined };
      }
      if (ifMatch !== undefined && (version.deleteMarker || (ifMatch !== '*' && ifMatch !== version.etag))) {
        return { ok: false, code: 'PRECONDITION_FAILED' };
      }
      return {
        ok: true,
        summary: `${version.deleteMarker}|${versionId}|true`,
        commit: () => this.removeVersion(bucket, key, versionId),
      };
    });
  }

  // ------------------------------------------------------------ multipart

  createUpload(writeId: string, b: string, key: string): RefOutcome {
    return this.run('createMultipartUpload', writeId, (sequence) => {
      const bucket = this.buckets.get(b);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      const uploadId = hex16(sequence);
      return {
        ok: true,
        summary: uploadId,
        commit: () => bucket.uploads.set(uploadId, { uploadId, sequence, key, parts: new Map() }),
      };
    });
  }

  private upload(b: string, key: string, uploadId: string): { bucket: RefBucket; upload: RefUpload } | string {
    const bucket = this.buckets.get(b);
    if (!bucket) return 'NO_SUCH_BUCKET';
    const upload = bucket.uploads.get(uploadId);
    if (!upload || upload.key !== key) return 'NO_SUCH_UPLOAD';
    return { bucket, upload };
  }

  registerPart(writeId: string, b: string, key: string, uploadId: string, part: RefPart): RefOutcome {
    return this.run('registerPart', writeId, () => {
      const found = this.upload(b, key, uploadId);
      if (typeof found === 'string') return { ok: false, code: found };
      const replaced = found.upload.parts.has(part.partNumber);
      const own = `${b}/${key}/u:${uploadId}/${part.partNumber}/`;
      if (this.shardTaken(part.shards, (h) => h.startsWith(own))) return { ok: false, code: 'INVALID_ARGUMENT' };
      return {
        ok: true,
        summary: `${replaced}`,
        commit: () => void found.upload.parts.set(part.partNumber, copyPart(part)),
      };
    });
  }

  complete(
    writeId: string,
    b: string,
    key: string,
    uploadId: string,
    listed: Array<{ partNumber: number; etag: string }>,
    condition: Condition,
  ): RefOutcome {
    return this.run('completeMultipartUpload', writeId, (sequence) => {
      const found = this.upload(b, key, uploadId);
      if (typeof found === 'string') return { ok: false, code: found };
      const { bucket, upload } = found;
      if (listed.length === 0) return { ok: false, code: 'INVALID_ARGUMENT' };
      for (let i = 1; i < listed.length; i++) {
        if ((listed[i]?.partNumber ?? 0) <= (listed[i - 1]?.partNumber ?? 0))
          return { ok: false, code: 'INVALID_PART_ORDER' };
      }
      const parts: RefPart[] = [];
      for (const p of listed) {
        const part = upload.parts.get(p.partNumber);
        if (!part || part.etag !== p.etag) return { ok: false, code: 'INVALID_PART' };
        parts.push(part);
      }
      const refused = this.conditionRefusal(bucket, key, condition);
      if (refused) return { ok: false, code: refused };
      const freed = (h: string): boolean =>
        h.startsWith(`${b}/${key}/u:${uploadId}/`) ||
        (bucket.versioning !== 'enabled' && h.startsWith(`${b}/${key}/v:null/`));
      if (
        this.shardTaken(
          parts.flatMap((p) => p.shards),
          freed,
        )
      )
        return { ok: false, code: 'INVALID_ARGUMENT' };
      const etag = multipartEtagOf(parts.map((p) => p.etag));
      const size = parts.reduce((sum, p) => sum + p.size, 0n);
      let summary = '';
      return {
        ok: true,
        get summary() {
          return summary;
        },
        commit: () => {
          bucket.uploads.delete(uploadId);
          const [id, replaced] = this.addVersion(bucket, key, { sequence, deleteMarker: false, etag, size, parts });
          summary = `${id}|${replaced}|${etag}|${size}|${parts.length}`;
        },
      };
    });
  }

  abort(writeId: string, b: string, key: string, uploadId: string): RefOutcome {
    return this.run('abortMultipartUpload', writeId, () => {
      const found = this.upload(b, key, uploadId);
      if (typeof found === 'string') return { ok: false, code: found };
      return { ok: true, summary: 'aborted', commit: () => void found.bucket.uploads.delete(uploadId) };
    });
  }

  // ------------------------------------------------------------ shards

  updateShard(
    writeId: string,
    b: string,
    key: string,
    owner: { case: 'versionId' | 'uploadId'; value: string },
    partNumber: number,
    expected: RefLocation | undefined,
    replacement: RefLocation,
  ): RefOutcome {
    return this.run('updateShardLocation', writeId, () => {
      const bucket = this.buckets.get(b);
      if (!bucket) return { ok: false, code: 'NO_SUCH_BUCKET' };
      let part: RefPart | undefined;
      if (owner.case === 'versionId') {
        const version = (bucket.keys.get(key) ?? []).find((v) => v.versionId === owner.value);
        part = version?.parts?.find((p) => p.partNumber === partNumber);
        if (!part) return { ok: false, code: 'NO_SUCH_VERSION' };
      } else {
        const upload = bucket.uploads.get(owner.value);
        part = upload && upload.key === key ? upload.parts.get(partNumber) : undefined;
        if (!part) return { ok: false, code: 'NO_SUCH_UPLOAD' };
      }
      const target = part;
      const current = target.shards.find((s) => s.shardIndex === replacement.shardIndex);
      const same = (x: RefLocation, y: RefLocation): boolean => x.diskId === y.diskId && x.shardId === y.shardId;
      const describe = (shards: RefLocation[]): string =>
        shards.map((s) => `${s.shardIndex}:${s.diskId}:${s.shardId}`).join(',');
      if (current && same(current, replacement))
        return { ok: true, summary: describe(target.shards), commit: () => undefined };
      const matches = expected === undefined ? current === undefined : current !== undefined && same(current, expected);
      if (!matches) return { ok: false, code: 'LOCATION_CHANGED' };
      const slotName = `${b}/${key}/${owner.case === 'versionId' ? 'v' : 'u'}:${owner.value}/${partNumber}/${replacement.shardIndex}`;
      if (this.shardTaken([replacement], (h) => h === slotName)) return { ok: false, code: 'INVALID_ARGUMENT' };
      const shards = [...target.shards.filter((s) => s.shardIndex !== replacement.shardIndex), replacement].sort(
        (x, y) => x.shardIndex - y.shardIndex,
      );
      return { ok: true, summary: describe(shards), commit: () => void (target.shards = shards) };
    });
  }

  /** Forgets write ids at or below a sequence; the real store journals that as one entry if any are forgotten. */
  expireWriteIds(through: bigint): boolean {
    let any = false;
    for (const [id, record] of this.writeIds) {
      if (record.sequence <= through) {
        this.writeIds.delete(id);
        any = true;
      }
    }
    if (any) this.sequence += 1n;
    return any;
  }

  // ------------------------------------------------------------ reads

  /** GetObject: "versionId|marker|etag|latest|sequence", or an error code. */
  get(b: string, key: string, versionId: string): string {
    const bucket = this.buckets.get(b);
    if (!bucket) return 'NO_SUCH_BUCKET';
    const list = bucket.keys.get(key) ?? [];
    let version: RefVersion | undefined;
    if (versionId === '') {
      version = list[0];
      if (!version) return 'NO_SUCH_KEY';
    } else {
      if (!isVersionId(versionId)) return 'INVALID_ARGUMENT';
      version = list.find((v) => v.versionId === versionId);
      if (!version) return 'NO_SUCH_VERSION';
    }
    return `${version.versionId}|${version.deleteMarker}|${version.etag}|${version === list[0]}|${version.sequence}`;
  }

  /** ListMultipartUploads over every upload: "key:uploadId" by key bytes, then initiation order. */
  listUploads(b: string): string[] {
    const bucket = this.buckets.get(b);
    if (!bucket) return [];
    return [...bucket.uploads.values()]
      .sort((x, y) => byBytes(x.key, y.key) || (x.sequence < y.sequence ? -1 : 1))
      .map((u) => `${u.key}:${u.uploadId}`);
  }

  /** ListObjects over every key: keys and common prefixes in byte order. */
  listObjects(b: string, prefix: string, delimiter: string, startAfter: string): string[] {
    const bucket = this.buckets.get(b);
    if (!bucket) return [];
    const items = new Set<string>();
    for (const key of bucket.keys.keys()) {
      if (!key.startsWith(prefix) || !this.current(bucket, key)) continue;
      const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      const item = at === -1 ? key : `${key.slice(0, at + delimiter.length)}`;
      if (startAfter !== '' && byBytes(item, startAfter) <= 0) continue;
      items.add(at === -1 ? `K:${item}` : `P:${item}`);
    }
    return [...items].sort((x, y) => byBytes(x.slice(2), y.slice(2)));
  }

  /** ListObjectVersions over every key: "V:key:versionId:latest:marker" rows and "P:prefix" rows. */
  listVersions(b: string, prefix: string, delimiter: string): string[] {
    const bucket = this.buckets.get(b);
    if (!bucket) return [];
    const out: string[] = [];
    const seenPrefixes = new Set<string>();
    for (const key of [...bucket.keys.keys()].sort(byBytes)) {
      if (!key.startsWith(prefix)) continue;
      const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      if (at !== -1) {
        const cp = key.slice(0, at + delimiter.length);
        if (!seenPrefixes.has(cp)) out.push(`P:${cp}`);
        seenPrefixes.add(cp);
        continue;
      }
      (bucket.keys.get(key) ?? []).forEach((v, i) => out.push(`V:${key}:${v.versionId}:${i === 0}:${v.deleteMarker}`));
    }
    return out;
  }

  /** The disk index as it must be: "disk/shard → bucket/key/owner/part/index" for every referenced shard. */
  diskIndex(): Map<string, string> {
    const index = new Map<string, string>();
    for (const [name, bucket] of this.buckets) {
      for (const [key, versions] of bucket.keys) {
        for (const v of versions) {
          for (const p of v.parts ?? []) {
            for (const s of p.shards)
              index.set(`${s.diskId}/${s.shardId}`, `${name}/${key}/v:${v.versionId}/${p.partNumber}/${s.shardIndex}`);
          }
        }
      }
      for (const upload of bucket.uploads.values()) {
        for (const p of upload.parts.values()) {
          for (const s of p.shards)
            index.set(
              `${s.diskId}/${s.shardId}`,
              `${name}/${upload.key}/u:${upload.uploadId}/${p.partNumber}/${s.shardIndex}`,
            );
        }
      }
    }
    return index;
  }
}
