// Codec suite: libs/rpc's compiled codec against protobuf-es reflection
// (`toBinary` / `fromBinary`) on the messages that dominate the namespace's
// CPU: a listing page from one partition (309 object summaries, a quarter of
// a 1,000-key page over 4 partitions), a GetObject response with a 5+4
// striped layout, and a Forward carrying 8 journal entries.
//
// Each case alternates the two codecs for `rounds` rounds of `ms` each, and
// reports the median time per message (µs) and the median per-round ratio.
// Both sides encode the same message and decode the same bytes; the bench
// checks that the compiled codec's bytes are protobuf-es's.
//
// Args: --rounds=<default 8> --ms=<per side and round, default 300>.
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { commonV1, namespaceV1 } from '@platter/proto';
import { messageCodec } from '@platter/rpc';

interface Args {
  rounds: number;
  ms: number;
}

function parseArgs(args: string[]): Args {
  const get = (name: string): string | undefined =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return { rounds: Number(get('rounds') ?? 8), ms: Number(get('ms') ?? 300) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Microseconds per call of `fn`, run for about `ms`. */
function timePerCall(fn: () => unknown, ms: number): number {
  let calls = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < ms) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = performance.now();
  }
  return ((now - t0) * 1000) / calls;
}

const hex = (n: number, width = 32): string => n.toString(16).padStart(width, '0');

function listingPage(): MessageShape<typeof namespaceV1.ListObjectsResponseSchema> {
  const now = Date.now();
  return create(namespaceV1.ListObjectsResponseSchema, {
    objects: Array.from({ length: 309 }, (_, i) => ({
      key: `photos/2026/11/img-${String(i * 4).padStart(7, '0')}.jpg`,
      versionId: hex(i),
      isLatest: true,
      size: BigInt(100_000 + i),
      etag: `"${hex(i * 7919)}"`,
      createdAt: timestampFromMs(now - i * 1000),
      storageClass: 'STANDARD',
      ownerAccountId: 'acct-000001',
      checksumAlgorithms: [commonV1.ChecksumAlgorithm.CRC32C],
      checksumType: commonV1.ChecksumType.FULL_OBJECT,
    })),
    isTruncated: true,
    nextContinuationToken: 'photos/2026/11/img-0001236.jpg',
  });
}

function stripedVersion(): MessageShape<typeof namespaceV1.GetObjectResponseSchema> {
  return create(namespaceV1.GetObjectResponseSchema, {
    version: {
      bucket: 'photos',
      key: 'photos/2026/11/img-0000042.jpg',
      versionId: hex(42),
      isLatest: true,
      size: 5n * 1024n * 1024n,
      etag: `"${hex(42 * 7919)}"`,
      createdAt: timestampFromMs(Date.now()),
      ownerAccountId: 'acct-000001',
      storageClass: 'STANDARD',
      sequence: 123_456n,
      layout: {
        data: {
          case: 'striped',
          value: {
            parts: [
              {
                partNumber: 1,
                size: 5n * 1024n * 1024n,
                scheme: { dataShards: 5, parityShards: 4, blockSize: 1024 * 1024, codec: 'isal-rs-vand' },
                stripeCount: 1n,
                shardLength: 1024n * 1024n,
                shards: Array.from({ length: 9 }, (_, i) => ({
                  diskId: `disk-${String(i * 3).padStart(3, '0')}`,
                  shardId: hex(1_000 + i),
                  shardIndex: i,
                })),
              },
            ],
          },
        },
      },
    },
  });
}

function forward(): MessageShape<typeof namespaceV1.ForwardRequestSchema> {
  return create(namespaceV1.ForwardRequestSchema, {
    partitionId: 3,
    chainEpoch: 7n,
    senderReplicaId: 'ns-1/p3',
    entries: Array.from({ length: 8 }, (_, e) => ({
      sequence: BigInt(10_000 + e),
      formatVersion: 1,
      mutations: Array.from({ length: 4 }, (_, m) => ({
        database: m === 0 ? 'versions' : 'write_ids',
        key: new Uint8Array(Buffer.from(`bucket\0key-${e}-${m}`)),
        kind: namespaceV1.MutationKind.PUT,
        value: new Uint8Array(180).fill(m),
      })),
    })),
  });
}

interface CaseResult {
  bytes: number;
  encodeUs: { protobufEs: number; compiled: number; ratio: number };
  decodeUs: { protobufEs: number; compiled: number; ratio: number };
}

function runCase<D extends DescMessage>(schema: D, message: MessageShape<D>, a: Args): CaseResult {
  const codec = messageCodec(schema);
  const bytes = toBinary(schema, message);
  if (Buffer.compare(codec.encode(message), bytes) !== 0)
    throw new Error(`${schema.typeName}: the compiled codec's bytes differ from toBinary's`);
  const enc = { a: [] as number[], b: [] as number[], r: [] as number[] };
  const dec = { a: [] as number[], b: [] as number[], r: [] as number[] };
  for (let r = 0; r < a.rounds; r++) {
    // Each side goes first in half the rounds.
    const first = r % 2 === 0;
    const pe = (): number => timePerCall(() => toBinary(schema, message), a.ms);
    const ce = (): number => timePerCall(() => codec.encode(message), a.ms);
    const [ea, eb] = first ? [pe(), ce()] : ((x, y) => [y, x])(ce(), pe());
    const pd = (): number => timePerCall(() => fromBinary(schema, bytes), a.ms);
    const cd = (): number => timePerCall(() => codec.decode(bytes), a.ms);
    const [da, db] = first ? [pd(), cd()] : ((x, y) => [y, x])(cd(), pd());
    enc.a.push(ea as number);
    enc.b.push(eb as number);
    enc.r.push((ea as number) / (eb as number));
    dec.a.push(da as number);
    dec.b.push(db as number);
    dec.r.push((da as number) / (db as number));
  }
  return {
    bytes: bytes.byteLength,
    encodeUs: { protobufEs: round(median(enc.a)), compiled: round(median(enc.b)), ratio: round(median(enc.r)) },
    decodeUs: { protobufEs: round(median(dec.a)), compiled: round(median(dec.b)), ratio: round(median(dec.r)) },
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const a = parseArgs(args);
  return {
    rounds: a.rounds,
    msPerSide: a.ms,
    note: 'µs per message; ratio = protobuf-es time / compiled time (median of per-round ratios)',
    listingPage309: runCase(namespaceV1.ListObjectsResponseSchema, listingPage(), a),
    getObjectStriped5of4: runCase(namespaceV1.GetObjectResponseSchema, stripedVersion(), a),
    forward8Entries: runCase(namespaceV1.ForwardRequestSchema, forward(), a),
  };
}
