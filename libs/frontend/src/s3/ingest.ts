import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { S3Error, type TrailerChecksum } from '@platter/s3';
import { writePart } from '../data/part-writer.js';
import { BodyLengthError } from '../data/stripe-assembler.js';
import { sizedRequestBody } from '../http/request-body.js';
import type { S3Call } from '../http/s3-call.js';
import { s3ErrorOfDataPath } from './data-errors.js';
import { ChecksumTap, checksumRequestOf, type ChecksumRequest } from './additional-checksum.js';
import type { ObjectStoreDeps } from './object-store-deps.js';

// A request body stored as one part: hashed in a digest thread while it
// streams to the data path (or, when small enough and allowed, kept for the
// namespace record), then checked against the signed SHA-256 and Content-MD5.
// Nothing is committed here; the caller commits to the namespace.

type PartLayoutInit = MessageInitShape<typeof commonV1.PartLayoutSchema>;

type ChecksumInit = MessageInitShape<typeof commonV1.ChecksumSchema>;

interface IngestedCommon {
  size: number;
  md5: Buffer;
  /** The additional checksum the client asked for, checked; empty when it asked for none. */
  checksums: ChecksumInit[];
}

export type Ingested =
  | (IngestedCommon & { kind: 'inline'; bytes: Buffer })
  | (IngestedCommon & { kind: 'striped'; part: PartLayoutInit; missing: number[] });

/** Bytes to store: a request body, or an existing object's bytes (copies). */
export interface ByteSource {
  size: number;
  chunks: AsyncIterable<Uint8Array>;
  /** Signed SHA-256 the bytes must match. */
  sha256Hex?: string;
  /** Content-MD5 (base64) the bytes must match. */
  contentMd5?: string;
  /** An additional checksum to compute (and check, when the client sent its value). */
  checksum?: ChecksumRequest;
  /** The aws-chunked trailer's checksum, verified by the decoder, once the bytes ended. */
  trailerChecksum?(): TrailerChecksum | undefined;
}

export async function ingestBody(
  deps: ObjectStoreDeps,
  call: S3Call,
  opts: { partNumber: number; allowInline: boolean },
  checksum: ChecksumRequest | undefined = checksumRequestOf(call.req.headers),
): Promise<Ingested> {
  const body = await sizedRequestBody(call);
  const contentMd5 = call.req.headers['content-md5'];
  return ingest(
    deps,
    call.signal,
    { ...body, ...(typeof contentMd5 === 'string' ? { contentMd5 } : {}), ...(checksum ? { checksum } : {}) },
    opts,
  );
}

export async function ingest(
  deps: ObjectStoreDeps,
  signal: AbortSignal,
  body: ByteSource,
  opts: { partNumber: number; allowInline: boolean },
): Promise<Ingested> {
  const session = deps.digests.open(body.sha256Hex !== undefined ? ['md5', 'sha256'] : ['md5'], body.size);
  const tap = body.checksum ? new ChecksumTap(body.checksum) : undefined;
  let stored: { kind: 'inline'; bytes: Buffer } | { kind: 'striped'; part: PartLayoutInit; missing: number[] };
  try {
    const hashed = hashAlong(body.chunks, (c) => {
      session.update(c);
      tap?.update(c);
    });
    if (opts.allowInline && body.size <= deps.inlineThresholdBytes) {
      stored = { kind: 'inline', bytes: await collect(hashed, body.size) };
    } else {
      const { k, m, codecId } = deps.scheme;
      const written = await writePart(
        { allocator: deps.allocator, storage: deps.storage, codec: deps.codecFor(codecId, k, m) },
        deps.scheme,
        opts.partNumber,
        body.size,
        hashed,
        signal,
      );
      stored = { kind: 'striped', part: written.layout, missing: written.missing };
    }
  } catch (err) {
    session.abandon();
    if (err instanceof BodyLengthError) throw new S3Error('IncompleteBody');
    throw s3ErrorOfDataPath(err);
  }
  const [md5, sha256] = await session.digest();
  if (body.sha256Hex !== undefined && sha256!.toString('hex') !== body.sha256Hex)
    throw new S3Error('XAmzContentSHA256Mismatch');
  if (body.contentMd5 !== undefined && Buffer.from(body.contentMd5, 'base64').toString('hex') !== md5!.toString('hex'))
    throw new S3Error('BadDigest');
  const checksums = tap ? [tap.finish(body.trailerChecksum?.())] : [];
  return { ...stored, size: body.size, md5: md5!, checksums };
}

export function layoutOf(ingested: Ingested): commonV1.ObjectLayout {
  return ingested.kind === 'inline'
    ? create(commonV1.ObjectLayoutSchema, { data: { case: 'inlineData', value: ingested.bytes } })
    : create(commonV1.ObjectLayoutSchema, { data: { case: 'striped', value: { parts: [ingested.part] } } });
}

async function* hashAlong(
  chunks: AsyncIterable<Uint8Array>,
  onChunk: (c: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    onChunk(c);
    yield c;
  }
}

/** A small body, all of it (its size is at most the inline threshold). */
async function collect(chunks: AsyncIterable<Uint8Array>, size: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > size) throw new BodyLengthError(size, n);
    parts.push(c);
  }
  if (n !== size) throw new BodyLengthError(size, n);
  return Buffer.concat(parts, n);
}
