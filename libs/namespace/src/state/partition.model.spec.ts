import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NamespaceError } from '../errors.js';
import { PartitionStore } from '../store/partition-store.js';
import {
  abortUploadOp,
  completeUploadOp,
  createBucketOp,
  createUploadOp,
  deleteBucketOp,
  deleteObjectOp,
  md5Hex,
  partLayout,
  putObjectOp,
  registerPartOp,
  setVersioningOp,
  shardIdOf,
  stripedLayout,
  updateShardOp,
  type ConditionSpec,
} from '../testing/requests.js';
import {
  ReferenceNamespace,
  byBytes,
  type RefLocation,
  type RefOutcome,
  type RefPart,
} from '../testing/reference-namespace.js';
import { makeTempDir } from '../testing/temp-dir.js';
import type { NamespaceOp } from './ops.js';
import { PartitionStateMachine, type Committed } from './partition-state-machine.js';

/*
 * Model-based test of one partition (G1, G2, G6): random sequences of
 * mutations and reads against ReferenceNamespace, on a head replica whose
 * journal a follower replica applies. Steps include write_id retries,
 * concurrent batches (one group commit), close/reopen, journal truncation,
 * write-id expiry, and reconfiguration: snapshot a replica, restore it into a
 * fresh one, replay the journal suffix, and carry on with the new chain. The
 * replicas must stay byte-identical (SHA-256 over every replicated pair).
 */

const RUNS = Number(process.env.NS_MODEL_RUNS ?? 40);
const BUCKETS = ['bkt-a', 'bkt-b'];
const KEYS = ['a', 'a/b', 'a/c', 'a/b/c', 'b', 'a\u0000', 'é', '\u{1F600}', '\uFFFD', 'z'];
const PREFIXES = ['', 'a', 'a/', 'é', 'q'];
const DISKS = ['d1', 'd2', 'd3'];
const WIDTH = 3;
const CLOCK_MS = 1_700_000_000_000;

interface Replica {
  dir: string;
  remove: () => Promise<void>;
  store: PartitionStore;
  sm: PartitionStateMachine;
}

interface Real {
  head: Replica;
  follower: Replica;
  retired: Replica[];
}

/** A mutation as both sides see it, kept so that a later step can retry it with the same write_id. */
interface Write {
  op: NamespaceOp;
  ref: (m: ReferenceNamespace) => RefOutcome;
  summarize: (response: unknown) => string;
}

interface Model {
  ref: ReferenceNamespace;
  epoch: bigint;
  writes: Write[];
  uploads: Array<{ bucket: string; key: string; uploadId: string }>;
  versions: Array<{ bucket: string; key: string; versionId: string }>;
  shardCounter: number;
}

type Cmd = fc.AsyncCommand<Model, Real>;

async function openReplica(dir: string, epoch: bigint): Promise<Pick<Replica, 'store' | 'sm'>> {
  const store = PartitionStore.open({ path: dir, mapSizeBytes: 2 ** 28 });
  return { store, sm: new PartitionStateMachine({ store, chainEpoch: epoch, clock: () => CLOCK_MS }) };
}

async function newReplica(epoch: bigint): Promise<Replica> {
  const tmp = await makeTempDir('ns-model');
  return { dir: tmp.dir, remove: tmp.remove, ...(await openReplica(tmp.dir, epoch)) };
}

// ------------------------------------------------------------------ checks

function checkOutcome(
  expected: RefOutcome,
  actual: Committed<unknown> | NamespaceError,
  summarize: Write['summarize'],
): void {
  if (!expected.ok) {
    expect(
      actual instanceof NamespaceError
        ? actual.code
        : `committed ${summarize((actual as Committed<unknown>).response)}`,
    ).toBe(expected.code);
    return;
  }
  if (actual instanceof NamespaceError)
    throw new Error(`expected success (${expected.summary}), got ${actual.code}: ${actual.message}`);
  expect(summarize(actual.response)).toBe(expected.summary);
  expect(actual.sequence).toBe(expected.sequence);
  expect(actual.duplicate).toBe(expected.duplicate);
}

async function runWrite(m: Model, r: Real, write: Write): Promise<void> {
  m.writes.push(write);
  const expected = write.ref(m.ref);
  checkOutcome(expected, await r.head.sm.execute(write.op), write.summarize);
  if (expected.ok && !expected.duplicate) noteIds(m, write, expected);
}

/** Remember ids the model minted, so later steps can name them (and, once gone, miss them). */
function noteIds(m: Model, write: Write, outcome: Extract<RefOutcome, { ok: true }>): void {
  const op = write.op;
  if (op.type === 'createMultipartUpload') {
    m.uploads.push({ bucket: op.request.bucket, key: op.request.key, uploadId: outcome.summary });
  } else if (op.type === 'putObject' || op.type === 'completeMultipartUpload' || op.type === 'deleteObject') {
    const versionId =
      op.type === 'deleteObject' ? (outcome.summary.split('|')[1] ?? '') : (outcome.summary.split('|')[0] ?? '');
    if (versionId !== '') m.versions.push({ bucket: op.request.bucket, key: op.request.key, versionId });
  }
}

const summaries = {
  createBucket: (x: unknown) => {
    const b = (x as namespaceV1.CreateBucketResponse).bucket;
    return `${b?.name}:${b?.ownerAccountId}:${b?.versioning === namespaceV1.VersioningState.UNVERSIONED ? 'unversioned' : '?'}`;
  },
  deleteBucket: () => 'deleted',
  setBucketVersioning: (x: unknown) =>
    (x as namespaceV1.SetBucketVersioningResponse).bucket?.versioning === namespaceV1.VersioningState.ENABLED
      ? 'enabled'
      : 'suspended',
  putObject: (x: unknown) => {
    const p = x as namespaceV1.PutObjectResponse;
    return `${p.version?.versionId}|${p.replacedVersionId}|${p.version?.etag}`;
  },
  deleteObject: (x: unknown) => {
    const d = x as namespaceV1.DeleteObjectResponse;
    return `${d.deleteMarker}|${d.versionId}|${d.existed}`;
  },
  createMultipartUpload: (x: unknown) => (x as namespaceV1.CreateMultipartUploadResponse).upload?.uploadId ?? '',
  registerPart: (x: unknown) => `${(x as namespaceV1.RegisterPartResponse).replaced}`,
  completeMultipartUpload: (x: unknown) => {
    const c = x as namespaceV1.CompleteMultipartUploadResponse;
    const v = c.version;
    return `${v?.versionId}|${c.replacedVersionId}|${v?.etag}|${v?.size}|${v?.partsCount}`;
  },
  abortMultipartUpload: () => 'aborted',
  updateShardLocation: (x: unknown) =>
    ((x as namespaceV1.UpdateShardLocationResponse).part?.shards ?? [])
      .map((s) => `${s.shardIndex}:${s.diskId}:${s.shardId}`)
      .join(','),
};

function freshShards(m: Model, indexes: number[]): RefLocation[] {
  return [...new Set(indexes)]
    .filter((i) => i < WIDTH)
    .sort((a, b) => a - b)
    .map((shardIndex) => ({
      diskId: DISKS[m.shardCounter % DISKS.length] ?? 'd1',
      shardId: shardIdOf(++m.shardCounter),
      shardIndex,
    }));
}

async function syncFollower(r: Real, chunk: number): Promise<void> {
  for (let round = 0; round < 100_000; round++) {
    const from = r.follower.store.applied().sequence + 1n;
    const entries = r.head.store.readJournal(from, chunk);
    if (entries.length === 0) break;
    const result = await r.follower.sm.apply(entries);
    expect(result.error).toBeUndefined();
    expect(result.durableSequence).toBe(entries[entries.length - 1]?.sequence);
  }
  expect(r.follower.store.applied()).toEqual(r.head.store.applied());
  expect(r.follower.store.digest()).toBe(r.head.store.digest());
}

// ------------------------------------------------------------------ mutations

const conditionArb = fc.constantFrom('none', 'ifNoneMatch', 'ifMatchCurrent', 'ifMatchWrong', 'ifMatchStar');
type ConditionChoice = 'none' | 'ifNoneMatch' | 'ifMatchCurrent' | 'ifMatchWrong' | 'ifMatchStar';

function resolveCondition(m: Model, bucket: string, key: string, choice: ConditionChoice): ConditionSpec {
  switch (choice) {
    case 'none':
      return { kind: 'none' };
    case 'ifNoneMatch':
      return { kind: 'ifNoneMatch' };
    case 'ifMatchStar':
      return { kind: 'ifMatch', etag: '*' };
    case 'ifMatchWrong':
      return { kind: 'ifMatch', etag: md5Hex('no such body') };
    case 'ifMatchCurrent': {
      const b = m.ref.buckets.get(bucket);
      const current = b ? m.ref.current(b, key) : undefined;
      return { kind: 'ifMatch', etag: current?.etag ?? md5Hex('absent') };
    }
  }
}

function refCondition(spec: ConditionSpec): Parameters<ReferenceNamespace['put']>[3] {
  return spec.kind === 'ifMatch' ? { kind: 'ifMatch', etag: spec.etag } : spec;
}

function putWrite(
  m: Model,
  bucket: string,
  key: string,
  choice: ConditionChoice,
  striped: number[] | undefined,
  tag: number,
  reuse?: number,
): Write {
  const condition = resolveCondition(m, bucket, key, choice);
  const body = `body-${tag}`;
  const etag = md5Hex(body);
  if (striped === undefined) {
    const op = putObjectOp({ bucket, key, body, condition });
    return {
      op,
      ref: (ref) => ref.put(op.request.writeId, bucket, key, refCondition(condition), etag, BigInt(body.length)),
      summarize: summaries.putObject,
    };
  }
  // Now and then reuse a shard some slot already holds: refused, unless that
  // slot is the null version this very write replaces.
  const held = reuse === undefined ? [] : liveSlots(m).filter((slot) => slot.current !== undefined);
  const reused = held.length > 0 && reuse !== undefined ? held[reuse % held.length]?.current : undefined;
  const shards = reused ? [reused] : freshShards(m, striped);
  const size = 1000n + BigInt(tag);
  const op = putObjectOp({ bucket, key, etag, size, layout: stripedLayout(size, shards, WIDTH), condition });
  const parts: RefPart[] = [{ partNumber: 1, size, etag: '', shards }];
  return {
    op,
    ref: (ref) => ref.put(op.request.writeId, bucket, key, refCondition(condition), etag, size, parts),
    summarize: summaries.putObject,
  };
}

function deleteWrite(m: Model, bucket: string, key: string, mode: string, pick: number, ifMatch: string): Write {
  let versionId = '';
  if (mode === 'version') {
    const known = m.versions.filter((v) => v.bucket === bucket && v.key === key);
    versionId = known.length > 0 ? (known[pick % known.length]?.versionId ?? '') : 'null';
  } else if (mode === 'null') versionId = 'null';
  else if (mode === 'bogus') versionId = pick % 2 === 0 ? 'ffffffffffff0000' : 'not-a-version';
  let etag: string | undefined;
  if (ifMatch === 'current') {
    const b = m.ref.buckets.get(bucket);
    const target =
      versionId === ''
        ? b
          ? m.ref.current(b, key)
          : undefined
        : b?.keys.get(key)?.find((v) => v.versionId === versionId);
    etag = target?.etag || md5Hex('absent');
  } else if (ifMatch === 'wrong') etag = md5Hex('wrong');
  const op = deleteObjectOp({ bucket, key, versionId, ifMatch: etag });
  return {
    op,
    ref: (ref) => ref.delete(op.request.writeId, bucket, key, versionId, etag),
    summarize: summaries.deleteObject,
  };
}

class WriteCmd implements Cmd {
  constructor(
    private readonly label: string,
    private readonly make: (m: Model) => Write,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await runWrite(m, r, this.make(m));
  }
  toString(): string {
    return this.label;
  }
}

const createBucketCmd = fc.record({ bucket: fc.constantFrom(...BUCKETS), owner: fc.constantFrom('alice', 'bob') }).map(
  ({ bucket, owner }) =>
    new WriteCmd(`createBucket(${bucket},${owner})`, () => {
      const op = createBucketOp(bucket, owner);
      return {
        op,
        ref: (ref) => ref.createBucket(op.request.writeId, bucket, owner),
        summarize: summaries.createBucket,
      };
    }),
);

const deleteBucketCmd = fc.constantFrom(...BUCKETS).map(
  (bucket) =>
    new WriteCmd(`deleteBucket(${bucket})`, () => {
      const op = deleteBucketOp(bucket);
      return { op, ref: (ref) => ref.deleteBucket(op.request.writeId, bucket), summarize: summaries.deleteBucket };
    }),
);

const versioningCmd = fc
  .record({ bucket: fc.constantFrom(...BUCKETS), v: fc.constantFrom('enabled' as const, 'suspended' as const) })
  .map(
    ({ bucket, v }) =>
      new WriteCmd(`versioning(${bucket},${v})`, () => {
        const state = v === 'enabled' ? namespaceV1.VersioningState.ENABLED : namespaceV1.VersioningState.SUSPENDED;
        const op = setVersioningOp(bucket, state);
        return {
          op,
          ref: (ref) => ref.setVersioning(op.request.writeId, bucket, v),
          summarize: summaries.setBucketVersioning,
        };
      }),
  );

const putArgs = fc.record({
  bucket: fc.constantFrom(...BUCKETS),
  key: fc.constantFrom(...KEYS),
  condition: conditionArb,
  striped: fc.option(fc.array(fc.nat(WIDTH - 1), { maxLength: WIDTH }), { nil: undefined }),
  tag: fc.nat(5),
  reuse: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.nat(), weight: 1 }),
});
const putCmd = putArgs.map(
  (a) =>
    new WriteCmd(
      `put(${a.bucket},${JSON.stringify(a.key)},${a.condition},${a.striped ? (a.reuse === undefined ? 'striped' : 'reused') : 'inline'})`,
      (m) => putWrite(m, a.bucket, a.key, a.condition, a.striped, a.tag, a.reuse),
    ),
);

const deleteArgs = fc.record({
  bucket: fc.constantFrom(...BUCKETS),
  key: fc.constantFrom(...KEYS),
  mode: fc.constantFrom('simple', 'simple', 'version', 'null', 'bogus'),
  pick: fc.nat(),
  ifMatch: fc.constantFrom('none', 'none', 'current', 'wrong'),
});
const deleteCmd = deleteArgs.map(
  (a) =>
    new WriteCmd(`delete(${a.bucket},${JSON.stringify(a.key)},${a.mode},${a.ifMatch})`, (m) =>
      deleteWrite(m, a.bucket, a.key, a.mode, a.pick, a.ifMatch),
    ),
);

const createUploadCmd = fc.record({ bucket: fc.constantFrom(...BUCKETS), key: fc.constantFrom(...KEYS) }).map(
  ({ bucket, key }) =>
    new WriteCmd(`createUpload(${bucket},${JSON.stringify(key)})`, () => {
      const op = createUploadOp(bucket, key);
      return {
        op,
        ref: (ref) => ref.createUpload(op.request.writeId, bucket, key),
        summarize: summaries.createMultipartUpload,
      };
    }),
);

function pickUpload(m: Model, pick: number): { bucket: string; key: string; uploadId: string } {
  return m.uploads[pick % Math.max(1, m.uploads.length)] ?? { bucket: 'bkt-a', key: 'a', uploadId: 'ffffffffffffff00' };
}

const registerPartCmd = fc
  .record({
    pick: fc.nat(),
    partNumber: fc.integer({ min: 1, max: 4 }),
    tag: fc.nat(3),
    shards: fc.array(fc.nat(WIDTH - 1), { maxLength: WIDTH }),
  })
  .map(
    (a) =>
      new WriteCmd(`registerPart(#${a.pick},${a.partNumber})`, (m) => {
        const u = pickUpload(m, a.pick);
        const shards = freshShards(m, a.shards);
        const etag = md5Hex(`part-${a.partNumber}-${a.tag}`);
        const size = BigInt(100 * a.partNumber + a.tag);
        const op = registerPartOp(u.bucket, u.key, u.uploadId, partLayout(a.partNumber, size, shards, WIDTH, etag));
        const part: RefPart = { partNumber: a.partNumber, size, etag, shards };
        return {
          op,
          ref: (ref) => ref.registerPart(op.request.writeId, u.bucket, u.key, u.uploadId, part),
          summarize: summaries.registerPart,
        };
      }),
  );

const completeCmd = fc
  .record({
    pick: fc.nat(),
    mode: fc.constantFrom('all', 'all', 'subset', 'wrongEtag', 'wrongOrder', 'empty'),
    mask: fc.nat(15),
    condition: conditionArb,
  })
  .map(
    (a) =>
      new WriteCmd(`complete(#${a.pick},${a.mode},${a.condition})`, (m) => {
        const u = pickUpload(m, a.pick);
        const registered = [...(m.ref.buckets.get(u.bucket)?.uploads.get(u.uploadId)?.parts.values() ?? [])].sort(
          (x, y) => x.partNumber - y.partNumber,
        );
        let listed = registered.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
        if (a.mode === 'subset') listed = listed.filter((_, i) => ((a.mask >> i) & 1) === 1);
        if (a.mode === 'wrongEtag' && listed[0]) listed[0] = { ...listed[0], etag: md5Hex('other') };
        if (a.mode === 'wrongOrder') listed.reverse();
        if (a.mode === 'empty') listed = [];
        if (listed.length === 0 && a.mode !== 'empty') listed = [{ partNumber: 1, etag: md5Hex('part-1-0') }];
        const condition = resolveCondition(m, u.bucket, u.key, a.condition);
        const op = completeUploadOp(u.bucket, u.key, u.uploadId, listed, { condition });
        return {
          op,
          ref: (ref) => ref.complete(op.request.writeId, u.bucket, u.key, u.uploadId, listed, refCondition(condition)),
          summarize: summaries.completeMultipartUpload,
        };
      }),
  );

const abortCmd = fc.nat().map(
  (pick) =>
    new WriteCmd(`abort(#${pick})`, (m) => {
      const u = pickUpload(m, pick);
      const op = abortUploadOp(u.bucket, u.key, u.uploadId);
      return {
        op,
        ref: (ref) => ref.abort(op.request.writeId, u.bucket, u.key, u.uploadId),
        summarize: summaries.abortMultipartUpload,
      };
    }),
);

interface Slot {
  bucket: string;
  key: string;
  owner: { case: 'versionId' | 'uploadId'; value: string };
  partNumber: number;
  shardIndex: number;
  current?: RefLocation;
}

function liveSlots(m: Model): Slot[] {
  const slots: Slot[] = [];
  const add = (bucket: string, key: string, owner: Slot['owner'], part: RefPart): void => {
    for (let shardIndex = 0; shardIndex < WIDTH; shardIndex++) {
      slots.push({
        bucket,
        key,
        owner,
        partNumber: part.partNumber,
        shardIndex,
        current: part.shards.find((s) => s.shardIndex === shardIndex),
      });
    }
  };
  for (const [bucket, b] of m.ref.buckets) {
    for (const [key, versions] of b.keys)
      for (const v of versions)
        for (const p of v.parts ?? []) add(bucket, key, { case: 'versionId', value: v.versionId }, p);
    for (const u of b.uploads.values())
      for (const p of u.parts.values()) add(bucket, u.key, { case: 'uploadId', value: u.uploadId }, p);
  }
  return slots;
}

const updateShardCmd = fc
  .record({ pick: fc.nat(), expected: fc.constantFrom('correct', 'correct', 'stale', 'unset', 'same', 'gone') })
  .map(
    (a) =>
      new WriteCmd(`updateShard(#${a.pick},${a.expected})`, (m) => {
        const slots = liveSlots(m);
        const gone: Slot = {
          bucket: 'bkt-a',
          key: 'a',
          owner: { case: 'versionId', value: 'ffffffffffffff00' },
          partNumber: 1,
          shardIndex: 0,
        };
        const slot = a.expected === 'gone' || slots.length === 0 ? gone : (slots[a.pick % slots.length] as Slot);
        const fresh: RefLocation = {
          diskId: DISKS[a.pick % DISKS.length] ?? 'd1',
          shardId: shardIdOf(++m.shardCounter),
          shardIndex: slot.shardIndex,
        };
        const replacement = a.expected === 'same' && slot.current ? slot.current : fresh;
        const expected =
          a.expected === 'correct'
            ? slot.current
            : a.expected === 'stale'
              ? { diskId: 'd9', shardId: shardIdOf(-1), shardIndex: slot.shardIndex }
              : a.expected === 'unset'
                ? undefined
                : slot.current;
        const op = updateShardOp({
          bucket: slot.bucket,
          key: slot.key,
          owner: slot.owner,
          partNumber: slot.partNumber,
          shardIndex: slot.shardIndex,
          expected,
          replacement,
        });
        return {
          op,
          ref: (ref) =>
            ref.updateShard(
              op.request.writeId,
              slot.bucket,
              slot.key,
              slot.owner,
              slot.partNumber,
              expected,
              replacement,
            ),
          summarize: summaries.updateShardLocation,
        };
      }),
  );

/** A retry of an earlier mutation with the same write_id: the first outcome again, nothing applied twice. */
class RetryCmd implements Cmd {
  constructor(private readonly pick: number) {}
  check(m: Model): boolean {
    return m.writes.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const write = m.writes[this.pick % m.writes.length] as Write;
    const expected = write.ref(m.ref);
    checkOutcome(expected, await r.head.sm.execute(write.op), write.summarize);
    if (expected.ok && !expected.duplicate) noteIds(m, write, expected);
  }
  toString(): string {
    return `retry(#${this.pick})`;
  }
}

/** Several writes submitted at once: they share group commits and apply in submission order. */
class BatchCmd implements Cmd {
  constructor(
    private readonly items: Array<{
      kind: 'put' | 'delete';
      bucket: string;
      key: string;
      condition: ConditionChoice;
      tag: number;
    }>,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    // Conditions and the model are resolved in submission order, as the head applies them.
    const writes = this.items.map((i) =>
      i.kind === 'put'
        ? putWrite(m, i.bucket, i.key, i.condition, undefined, i.tag)
        : deleteWrite(m, i.bucket, i.key, 'simple', 0, 'none'),
    );
    const pending = writes.map((w) => r.head.sm.execute(w.op));
    const actual = await Promise.all(pending);
    writes.forEach((w, i) => {
      m.writes.push(w);
      const expected = w.ref(m.ref);
      checkOutcome(expected, actual[i] as Committed<unknown> | NamespaceError, w.summarize);
      if (expected.ok && !expected.duplicate) noteIds(m, w, expected);
    });
  }
  toString(): string {
    return `batch(${this.items.map((i) => `${i.kind}:${i.bucket}/${JSON.stringify(i.key)}:${i.condition}`).join(' ')})`;
  }
}

// ------------------------------------------------------------------ reads

class GetCmd implements Cmd {
  constructor(private readonly a: { bucket: string; key: string; mode: string; pick: number }) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { bucket, key } = this.a;
    let versionId = '';
    if (this.a.mode === 'version') {
      const known = m.versions.filter((v) => v.bucket === bucket && v.key === key);
      versionId = known[this.a.pick % Math.max(1, known.length)]?.versionId ?? 'null';
    } else if (this.a.mode === 'null') versionId = 'null';
    const real = r.head.sm.getObject(create(namespaceV1.GetObjectRequestSchema, { bucket, key, versionId }));
    const summary =
      real instanceof NamespaceError
        ? real.code
        : `${real.versionId}|${real.deleteMarker}|${real.etag}|${real.isLatest}|${real.sequence}`;
    expect(summary).toBe(m.ref.get(bucket, key, versionId));
  }
  toString(): string {
    return `get(${this.a.bucket},${JSON.stringify(this.a.key)},${this.a.mode})`;
  }
}

class ListCmd implements Cmd {
  constructor(
    private readonly a: {
      bucket: string;
      prefix: string;
      delimiter: string;
      pageSize: number;
      startAfter: string;
      budget: number | undefined;
    },
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { bucket, prefix, delimiter, pageSize, startAfter, budget } = this.a;
    if (!m.ref.buckets.has(bucket)) {
      expect(r.head.sm.listObjects(create(namespaceV1.ListObjectsRequestSchema, { bucket }))).toMatchObject({
        code: 'NO_SUCH_BUCKET',
      });
      return;
    }
    const seen: string[] = [];
    let token = '';
    for (let page = 0; ; page++) {
      expect(page).toBeLessThan(500);
      const request = create(namespaceV1.ListObjectsRequestSchema, {
        bucket,
        prefix,
        delimiter,
        maxKeys: pageSize,
        startAfter,
        continuationToken: token,
      });
      const res = r.head.sm.listObjects(request, { scanBudgetRows: budget });
      if (res instanceof NamespaceError) throw res;
      const items = [...res.objects.map((o) => `K:${o.key}`), ...res.commonPrefixes.map((p) => `P:${p}`)].sort((x, y) =>
        byBytes(x.slice(2), y.slice(2)),
      );
      expect(items.length).toBeLessThanOrEqual(pageSize);
      seen.push(...items);
      if (!res.isTruncated) break;
      token = res.nextContinuationToken;
    }
    expect(seen).toEqual(m.ref.listObjects(bucket, prefix, delimiter, startAfter));
  }
  toString(): string {
    return `list(${JSON.stringify(this.a)})`;
  }
}

class ListVersionsCmd implements Cmd {
  constructor(private readonly a: { bucket: string; prefix: string; delimiter: string; pageSize: number }) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { bucket, prefix, delimiter, pageSize } = this.a;
    if (!m.ref.buckets.has(bucket)) return;
    const seen: string[] = [];
    let keyMarker = '';
    let versionIdMarker = '';
    for (let page = 0; ; page++) {
      expect(page).toBeLessThan(500);
      const res = r.head.sm.listObjectVersions(
        create(namespaceV1.ListObjectVersionsRequestSchema, {
          bucket,
          prefix,
          delimiter,
          maxKeys: pageSize,
          keyMarker,
          versionIdMarker,
        }),
      );
      if (res instanceof NamespaceError) throw res;
      const items = [
        ...res.versions.map((v) => ({ k: v.key, s: `V:${v.key}:${v.versionId}:${v.isLatest}:${v.deleteMarker}` })),
        ...res.commonPrefixes.map((p) => ({ k: p, s: `P:${p}` })),
      ].sort((x, y) => byBytes(x.k, y.k));
      expect(items.length).toBeLessThanOrEqual(pageSize);
      seen.push(...items.map((i) => i.s));
      if (!res.isTruncated) break;
      keyMarker = res.nextKeyMarker;
      versionIdMarker = res.nextVersionIdMarker;
    }
    expect(seen).toEqual(m.ref.listVersions(bucket, prefix, delimiter));
  }
  toString(): string {
    return `listVersions(${JSON.stringify(this.a)})`;
  }
}

/** The disk → shards index, every upload and every part must match the model. */
class CheckIndexesCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const index = new Map<string, string>();
    for (const diskId of [...DISKS, 'd9']) {
      let pageToken = '';
      let previous = '';
      for (let page = 0; page < 1000; page++) {
        const res = r.head.sm.listDiskShards(
          create(namespaceV1.ListDiskShardsRequestSchema, { diskId, pageSize: 3, pageToken }),
        );
        if (res instanceof NamespaceError) throw res;
        for (const s of res.shards) {
          const shardId = s.location?.shardId ?? '';
          expect(shardId > previous).toBe(true);
          previous = shardId;
          const ref = s.shard?.part;
          const owner = ref?.owner.case === 'versionId' ? `v:${ref.owner.value}` : `u:${ref?.owner.value}`;
          index.set(
            `${diskId}/${shardId}`,
            `${ref?.bucket}/${ref?.key}/${owner}/${ref?.partNumber}/${s.shard?.shardIndex}`,
          );
        }
        if (res.nextPageToken === '') break;
        pageToken = res.nextPageToken;
      }
    }
    expect(index).toEqual(m.ref.diskIndex());
    for (const bucket of m.ref.buckets.keys()) {
      const uploads: string[] = [];
      let keyMarker = '';
      let uploadIdMarker = '';
      for (let page = 0; page < 1000; page++) {
        const res = r.head.sm.listMultipartUploads(
          create(namespaceV1.ListMultipartUploadsRequestSchema, { bucket, maxUploads: 2, keyMarker, uploadIdMarker }),
        );
        if (res instanceof NamespaceError) throw res;
        uploads.push(...res.uploads.map((u) => `${u.key}:${u.uploadId}`));
        if (!res.isTruncated) break;
        keyMarker = res.nextKeyMarker;
        uploadIdMarker = res.nextUploadIdMarker;
      }
      expect(uploads).toEqual(m.ref.listUploads(bucket));
      for (const upload of m.ref.buckets.get(bucket)?.uploads.values() ?? []) {
        const res = r.head.sm.listParts(
          create(namespaceV1.ListPartsRequestSchema, { bucket, key: upload.key, uploadId: upload.uploadId }),
        );
        if (res instanceof NamespaceError) throw res;
        const expected = [...upload.parts.values()]
          .sort((x, y) => x.partNumber - y.partNumber)
          .map((p) => `${p.partNumber}:${p.etag}:${p.size}`);
        expect(res.parts.map((p) => `${p.part?.partNumber}:${p.part?.etag}:${p.part?.size}`)).toEqual(expected);
      }
    }
  }
  toString(): string {
    return 'checkIndexes';
  }
}

// ------------------------------------------------------------------ replication and lifecycle

class SyncFollowerCmd implements Cmd {
  constructor(private readonly chunk: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: Model, r: Real): Promise<void> {
    await syncFollower(r, this.chunk);
  }
  toString(): string {
    return `syncFollower(${this.chunk})`;
  }
}

/** Close both replicas and open them again: everything acknowledged is still there. */
class ReopenCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const before = r.head.store.digest();
    for (const replica of [r.head, r.follower]) {
      await replica.store.close();
      Object.assign(replica, await openReplica(replica.dir, m.epoch));
    }
    expect(r.head.store.digest()).toBe(before);
    expect(r.head.store.applied().sequence).toBe(m.ref.sequence);
  }
  toString(): string {
    return 'reopen';
  }
}

/** Each replica truncates what its successor already has. */
class TruncateCmd implements Cmd {
  check(): boolean {
    return true;
  }
  async run(_m: Model, r: Real): Promise<void> {
    const through = r.follower.store.applied().sequence;
    await r.head.store.truncateJournal(through);
    await r.follower.store.truncateJournal(through);
    expect(r.head.store.journalFloor()).toBe(through);
    if (through > 0n) expect(() => r.head.store.readJournal(through, 1)).toThrow(NamespaceError);
  }
  toString(): string {
    return 'truncateJournal';
  }
}

class ExpireWriteIdsCmd implements Cmd {
  constructor(private readonly fraction: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const through = (m.ref.sequence * BigInt(this.fraction)) / 4n;
    const expected = m.ref.expireWriteIds(through);
    const entry = await r.head.sm.expireWriteIds(through, 1_000_000);
    expect(entry !== undefined).toBe(expected);
    expect(r.head.store.applied().sequence).toBe(m.ref.sequence);
  }
  toString(): string {
    return `expireWriteIds(${this.fraction}/4)`;
  }
}

/**
 * A chain reconfiguration: one replica leaves; the survivor acts as head in
 * a new epoch; a fresh replica restores a snapshot of the survivor, the head
 * takes a few more writes meanwhile, and the newcomer replays the journal
 * suffix and joins as the tail.
 */
class ReconfigureCmd implements Cmd {
  constructor(private readonly a: { drop: 'head' | 'follower'; extra: number; batchBytes: number }) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await syncFollower(r, 1000);
    const [survivor, leaving] = this.a.drop === 'head' ? [r.follower, r.head] : [r.head, r.follower];
    m.epoch += 1n;
    survivor.sm.setChainEpoch(m.epoch);
    const snapshot = [...survivor.store.snapshot(this.a.batchBytes)];
    const snapshotSequence = survivor.store.applied().sequence;
    r.head = survivor;
    const bucket = [...m.ref.buckets.keys()][0];
    for (let i = 0; i < this.a.extra && bucket !== undefined; i++) {
      await runWrite(m, r, putWrite(m, bucket, KEYS[i % KEYS.length] ?? 'a', 'none', undefined, i));
    }
    await leaving.store.close();
    r.retired.push(leaving);
    const joiner = await newReplica(m.epoch);
    const mark = await joiner.store.restore(snapshot);
    expect(mark.sequence).toBe(snapshotSequence);
    expect(joiner.store.journalFloor()).toBe(snapshotSequence);
    r.follower = joiner;
    await syncFollower(r, 2);
  }
  toString(): string {
    return `reconfigure(${JSON.stringify(this.a)})`;
  }
}

// ------------------------------------------------------------------ the run

const batchItem = fc.record({
  kind: fc.constantFrom('put' as const, 'delete' as const),
  bucket: fc.constantFrom(...BUCKETS),
  key: fc.constantFrom(...KEYS),
  condition: conditionArb,
  tag: fc.nat(5),
});

const commands = [
  createBucketCmd,
  deleteBucketCmd,
  versioningCmd,
  putCmd,
  putCmd,
  putCmd,
  deleteCmd,
  deleteCmd,
  createUploadCmd,
  registerPartCmd,
  registerPartCmd,
  completeCmd,
  abortCmd,
  updateShardCmd,
  updateShardCmd,
  fc.nat().map((p) => new RetryCmd(p)),
  fc.array(batchItem, { minLength: 2, maxLength: 6 }).map((items) => new BatchCmd(items)),
  fc
    .record({
      bucket: fc.constantFrom(...BUCKETS),
      key: fc.constantFrom(...KEYS),
      mode: fc.constantFrom('latest', 'version', 'null'),
      pick: fc.nat(),
    })
    .map((a) => new GetCmd(a)),
  fc
    .record({
      bucket: fc.constantFrom(...BUCKETS),
      prefix: fc.constantFrom(...PREFIXES),
      delimiter: fc.constantFrom('', '/'),
      pageSize: fc.integer({ min: 1, max: 4 }),
      startAfter: fc.constantFrom('', '', 'a', 'a/', 'a/b', 'é'),
      budget: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map((a) => new ListCmd(a)),
  fc
    .record({
      bucket: fc.constantFrom(...BUCKETS),
      prefix: fc.constantFrom(...PREFIXES),
      delimiter: fc.constantFrom('', '/'),
      pageSize: fc.integer({ min: 1, max: 4 }),
    })
    .map((a) => new ListVersionsCmd(a)),
  fc.constant(new CheckIndexesCmd()),
  fc.integer({ min: 1, max: 5 }).map((c) => new SyncFollowerCmd(c)),
  fc.constant(new ReopenCmd()),
  fc.constant(new TruncateCmd()),
  fc.integer({ min: 1, max: 3 }).map((f) => new ExpireWriteIdsCmd(f)),
  fc
    .record({
      drop: fc.constantFrom('head' as const, 'follower' as const),
      extra: fc.nat(3),
      batchBytes: fc.constantFrom(64, 4096, 1 << 20),
    })
    .map((a) => new ReconfigureCmd(a)),
];

describe('partition state machine against the reference model', () => {
  it(
    'agrees with the model through mutations, retries, batches, reopen and reconfiguration',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'max' }), async (cmds) => {
          const real: Real = { head: await newReplica(1n), follower: await newReplica(1n), retired: [] };
          const model: Model = {
            ref: new ReferenceNamespace(),
            epoch: 1n,
            writes: [],
            uploads: [],
            versions: [],
            shardCounter: 0,
          };
          try {
            // Most steps need a bucket: start with both (deleting and re-creating them are steps too).
            await new WriteCmd('', () => {
              const op = createBucketOp('bkt-a', 'alice');
              return {
                op,
                ref: (ref) => ref.createBucket(op.request.writeId, 'bkt-a', 'alice'),
                summarize: summaries.createBucket,
              };
            }).run(model, real);
            await new WriteCmd('', () => {
              const op = createBucketOp('bkt-b', 'bob');
              return {
                op,
                ref: (ref) => ref.createBucket(op.request.writeId, 'bkt-b', 'bob'),
                summarize: summaries.createBucket,
              };
            }).run(model, real);
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            await syncFollower(real, 64);
            await new CheckIndexesCmd().run(model, real);
            if (process.env.NS_MODEL_DEBUG)
              console.log(
                `commands=${[...cmds].length} sequence=${model.ref.sequence} epoch=${model.epoch}`,
                String(cmds).slice(0, 300),
              );
          } finally {
            for (const replica of [real.head, real.follower, ...real.retired]) {
              if (!replica.store.isClosed) await replica.store.close();
              await replica.remove();
            }
          }
        }),
        { numRuns: RUNS },
      );
      // A few seconds per run on a loaded machine.
    },
    Math.max(600_000, RUNS * 10_000),
  );
});
