import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  assertChecksumMatches,
  checksumAlgorithmOfHeader,
  createChecksumHasher,
  type ChecksumAlgorithm,
  type ChecksumHasher,
} from '../checksums/checksum.js';
import { S3Error } from '../errors.js';
import { sha256Hex } from '../sigv4/canonical-request.js';
import { chunkSignature, trailerSignature } from '../sigv4/chunk-signature.js';
import { signaturesEqual } from '../sigv4/constant-time.js';
import type { SignedAuth, SigningContext } from '../sigv4/verifier.js';

/**
 * Longest chunk header line we accept (bytes, CRLF excluded). A signed header
 * is `<hex size>;chunk-signature=<64 hex>` (≈ 90 bytes); the cap only stops a
 * client from making us buffer an endless line.
 */
export const MAX_CHUNK_HEADER_BYTES = 4096;

/** Longest trailer line (bytes): a checksum or signature header is < 100 bytes. */
export const MAX_TRAILER_LINE_BYTES = 4096;

/** Most trailer lines we accept: one checksum and one signature in practice. */
export const MAX_TRAILER_LINES = 8;

/**
 * Largest signed chunk (bytes). A signed chunk is held in memory until its
 * signature is checked, so this bounds memory per upload. SDKs send 64 KiB
 * (JS, Go, MinIO) to 128 KiB (Java v1); 8 MiB leaves ample room.
 */
export const MAX_SIGNED_CHUNK_BYTES = 8 * 1024 * 1024;

const SIGNATURE_EXTENSION = /^chunk-signature=([0-9a-f]{64})$/;
const TRAILER_SIGNATURE_HEADER = 'x-amz-trailer-signature';

export interface AwsChunkedDecoderOptions {
  /** Signed chunks: each carries a signature chained from `signing.seedSignature`. */
  signing?: SigningContext;
  /** Whether a trailer section may follow the final chunk. */
  trailer: boolean;
  /** `x-amz-trailer`: the one trailing header the client announced (lower-case). */
  declaredTrailer?: string;
  /** `x-amz-decoded-content-length`, when the client sent it. */
  decodedContentLength?: number;
  maxSignedChunkBytes?: number;
}

/** The checksum a client sent as a trailer and that the decoder verified. */
export interface TrailerChecksum {
  algorithm: ChecksumAlgorithm;
  base64: string;
}

type State = 'size-line' | 'data' | 'data-crlf' | 'trailer' | 'done';

function framing(message: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${message}`);
}

/**
 * Decodes an `aws-chunked` body into the object bytes.
 *
 * Signed chunks are held until their signature is checked, so no unverified
 * byte reaches downstream; memory is one chunk. Unsigned chunks stream
 * through. A trailing `x-amz-checksum-*` is verified against the decoded
 * bytes before the stream ends; a short body is `IncompleteBody`.
 */
export class AwsChunkedDecoder extends Transform {
  private state: State = 'size-line';
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private crlfSeen = 0;
  private chunkHash: Hash | undefined;
  private chunkSignatureExpected = '';
  private pending: Buffer[] = [];
  private previousSignature: string;
  private decoded = 0;
  private readonly trailerValues = new Map<string, string>();
  private readonly trailerOrder: string[] = [];
  private readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
  private readonly checksumHasher: ChecksumHasher | undefined;
  private readonly maxSignedChunk: number;
  private verifiedChecksum: TrailerChecksum | undefined;

  constructor(private readonly options: AwsChunkedDecoderOptions) {
    super();
    this.previousSignature = options.signing?.seedSignature ?? '';
    this.maxSignedChunk = options.maxSignedChunkBytes ?? MAX_SIGNED_CHUNK_BYTES;
    if (options.declaredTrailer !== undefined) {
      if (!options.trailer) throw new S3Error('InvalidRequest', 'x-amz-trailer requires a trailer payload mode.');
      const algorithm = checksumAlgorithmOfHeader(options.declaredTrailer);
      if (!algorithm) {
        throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported', {
          details: { ArgumentName: 'x-amz-trailer', ArgumentValue: options.declaredTrailer },
        });
      }
      this.checksumAlgorithm = algorithm;
      this.checksumHasher = createChecksumHasher(algorithm);
    }
  }

  /** Object bytes emitted so far. */
  get decodedLength(): number {
    return this.decoded;
  }

  /** Trailing headers received (lower-case names), signature header excluded. Complete after `end`. */
  get trailers(): ReadonlyMap<string, string> {
    return this.trailerValues;
  }

  /** The trailing checksum, verified; set once the stream has ended cleanly. */
  get checksum(): TrailerChecksum | undefined {
    return this.verifiedChecksum;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') {
      callback(new S3Error('IncompleteBody', 'The request body terminated unexpectedly'));
      return;
    }
    const declared = this.options.decodedContentLength;
    if (declared !== undefined && this.decoded !== declared) {
      callback(new S3Error('IncompleteBody'));
      return;
    }
    callback();
  }

  private consume(input: Buffer): void {
    let offset = 0;
    while (offset < input.length) {
      switch (this.state) {
        case 'size-line':
        case 'trailer': {
          const nl = input.indexOf(0x0a, offset);
          const end = nl < 0 ? input.length : nl;
          const cap = this.state === 'size-line' ? MAX_CHUNK_HEADER_BYTES : MAX_TRAILER_LINE_BYTES;
          // +1 for the CR that precedes LF.
          if (this.lineBytes + (end - offset) > cap + 1) throw framing('line too long');
          this.line.push(input.subarray(offset, end));
          this.lineBytes += end - offset;
          offset = nl < 0 ? input.length : nl + 1;
          if (nl >= 0) {
            const line = Buffer.concat(this.line, this.lineBytes);
            this.line = [];
            this.lineBytes = 0;
            if (line.length === 0 || line[line.length - 1] !== 0x0d) throw framing('line not terminated by CRLF');
            const text = line.toString('latin1', 0, line.length - 1);
            if (this.state === 'size-line') this.onSizeLine(text);
            else this.onTrailerLine(text);
          }
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, input.length - offset);
          const piece = input.subarray(offset, offset + n);
          offset += n;
          this.remaining -= n;
          if (this.chunkHash) {
            this.chunkHash.update(piece);
            this.pending.push(piece);
          } else {
            this.release(piece);
          }
          if (this.remaining === 0) {
            if (this.chunkHash) this.verifyChunk(this.chunkHash.digest('hex'));
            this.state = 'data-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (input[offset] !== expected) throw framing('chunk data not followed by CRLF');
          offset++;
          if (++this.crlfSeen === 2) this.state = 'size-line';
          break;
        }
        case 'done':
          throw framing('data after the end of the body');
      }
    }
  }

  private onSizeLine(text: string): void {
    const semi = text.indexOf(';');
    const sizeText = semi < 0 ? text : text.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,15}$/.test(sizeText)) throw framing('bad chunk size');
    const size = parseInt(sizeText, 16);
    if (this.options.signing) {
      const m = semi < 0 ? null : SIGNATURE_EXTENSION.exec(text.slice(semi + 1));
      if (!m) throw framing('missing chunk-signature');
      this.chunkSignatureExpected = m[1] as string;
      if (size > this.maxSignedChunk) throw framing(`chunk larger than ${this.maxSignedChunk} bytes`);
    }
    const declared = this.options.decodedContentLength;
    if (declared !== undefined && this.decoded + size > declared) {
      throw new S3Error('InvalidRequest', 'The aws-chunked body is longer than x-amz-decoded-content-length.');
    }
    if (size === 0) {
      // The final chunk: signed as an empty chunk, then trailers or the end.
      if (this.options.signing) this.verifyChunk(sha256Hex(''));
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.chunkHash = this.options.signing ? createHash('sha256') : undefined;
    this.state = 'data';
  }

  private verifyChunk(chunkSha256Hex: string): void {
    const signing = this.options.signing as SigningContext;
    const expected = chunkSignature(signing, this.previousSignature, chunkSha256Hex);
    if (!signaturesEqual(expected, this.chunkSignatureExpected)) {
      this.pending = [];
      throw new S3Error('SignatureDoesNotMatch');
    }
    this.previousSignature = expected;
    for (const piece of this.pending) this.release(piece);
    this.pending = [];
  }

  private release(piece: Buffer): void {
    this.decoded += piece.length;
    this.checksumHasher?.update(piece);
    this.push(piece);
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      this.finishTrailers();
      this.state = 'done';
      return;
    }
    if (!this.options.trailer) throw new S3Error('MalformedTrailerError');
    if (this.trailerOrder.length + this.trailerValues.size >= MAX_TRAILER_LINES) {
      throw new S3Error('MalformedTrailerError');
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw new S3Error('MalformedTrailerError');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE_HEADER) {
      this.trailerOrder.push(`${name}:${value}`);
      return;
    }
    if (this.trailerValues.has(name) || name !== this.options.declaredTrailer) {
      throw new S3Error('MalformedTrailerError');
    }
    this.trailerValues.set(name, value);
  }

  private finishTrailers(): void {
    const signatures = this.trailerOrder.map((l) => l.slice(TRAILER_SIGNATURE_HEADER.length + 1));
    if (this.options.signing && this.options.trailer) {
      if (signatures.length !== 1) throw new S3Error('MalformedTrailerError');
      let canonical = '';
      for (const [name, value] of this.trailerValues) canonical += `${name}:${value}\n`;
      const expected = trailerSignature(this.options.signing, this.previousSignature, sha256Hex(canonical));
      if (!signaturesEqual(expected, signatures[0] as string)) throw new S3Error('SignatureDoesNotMatch');
    } else if (signatures.length > 0) {
      throw new S3Error('MalformedTrailerError');
    }
    const declared = this.options.declaredTrailer;
    if (declared === undefined) return;
    const value = this.trailerValues.get(declared);
    if (value === undefined) throw new S3Error('MalformedTrailerError');
    const algorithm = this.checksumAlgorithm as ChecksumAlgorithm;
    assertChecksumMatches(algorithm, value, (this.checksumHasher as ChecksumHasher).digest());
    this.verifiedChecksum = { algorithm, base64: value };
  }
}

/**
 * A decoder configured from a verified request. Throws for payload modes
 * that are not aws-chunked (the caller reads those bodies directly).
 */
export function createAwsChunkedDecoder(
  auth: SignedAuth,
  options: Pick<AwsChunkedDecoderOptions, 'maxSignedChunkBytes'> = {},
): AwsChunkedDecoder {
  const { payload } = auth;
  if (payload.kind !== 'streaming-signed' && payload.kind !== 'streaming-unsigned-trailer') {
    throw new RangeError(`payload mode ${payload.kind} is not aws-chunked`);
  }
  const trailer = payload.kind === 'streaming-unsigned-trailer' || payload.trailer;
  return new AwsChunkedDecoder({
    ...options,
    trailer,
    ...(payload.kind === 'streaming-signed' ? { signing: auth.signing } : {}),
    ...(auth.trailer !== undefined ? { declaredTrailer: auth.trailer } : {}),
    ...(auth.decodedContentLength !== undefined ? { decodedContentLength: auth.decodedContentLength } : {}),
  });
}
