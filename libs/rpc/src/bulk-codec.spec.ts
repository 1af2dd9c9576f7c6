import { randomBytes } from 'node:crypto';
import {
  create,
  createRegistry,
  equals,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageShape,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { healthV1, testingV1Echo } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BULK_MIN_BYTES, BulkFrame, bulkFields, releaseAfterCopy } from './bulk-codec.js';
import { MessageCodecError } from './codec-error.js';
import { messageCodec } from './message-codec.js';

const { UploadRequestSchema, DownloadResponseSchema, EchoRequestSchema } = testingV1Echo;

/** Random bytes to cut payloads from, so that properties do not generate megabytes one by one. */
const POOL = randomBytes(4 * BULK_MIN_BYTES + 1024);

/** Payload sizes on both sides of the threshold where the bulk path starts, and empty. */
const payload = fc
  .record({
    offset: fc.nat(1024),
    length: fc.oneof(
      fc.constant(0),
      fc.nat(64),
      fc.integer({ min: BULK_MIN_BYTES - 2, max: BULK_MIN_BYTES + 2 }),
      fc.integer({ min: BULK_MIN_BYTES, max: 4 * BULK_MIN_BYTES }),
    ),
  })
  .map(({ offset, length }) => POOL.subarray(offset, offset + length));

const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

/** Unknown fields a newer peer might send: numbers outside the schema, every wire type protobuf-es keeps. */
const unknownFields = fc.array(
  fc.record({
    no: fc.integer({ min: 100, max: 536_870_911 }),
    value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 32 })),
  }),
  { maxLength: 3 },
);

function withUnknown<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  fields: { no: number; value: bigint | Uint8Array }[],
): MessageShape<Desc> {
  if (fields.length === 0) return message;
  const writer = new BinaryWriter();
  for (const { no, value } of fields) {
    if (typeof value === 'bigint') writer.tag(no, WireType.Varint).uint64(value);
    else writer.tag(no, WireType.LengthDelimited).bytes(value);
  }
  const bytes = new Uint8Array([...toBinary(schema, message), ...writer.finish()]);
  return fromBinary(schema, bytes);
}

const uploadRequest = fc
  .record({
    payload: fc.oneof(
      fc.constant({ case: undefined }),
      fc.string().map((name) => ({ case: 'header' as const, value: { name } })),
      payload.map((value) => ({ case: 'data' as const, value })),
    ),
    unknown: unknownFields,
  })
  .map(({ payload, unknown }) => withUnknown(UploadRequestSchema, create(UploadRequestSchema, { payload }), unknown));

const downloadResponse = fc
  .record({ offset: uint64, data: payload, unknown: unknownFields })
  .map(({ offset, data, unknown }) =>
    withUnknown(DownloadResponseSchema, create(DownloadResponseSchema, { offset, data }), unknown),
  );

const registry = createRegistry();
const same = <Desc extends DescMessage>(schema: Desc, a: MessageShape<Desc>, b: MessageShape<Desc>): boolean =>
  equals(schema, a, b, { registry, unknown: true });

function wireCompatible<Desc extends DescMessage>(schema: Desc, messages: fc.Arbitrary<MessageShape<Desc>>): void {
  const codec = messageCodec(schema);

  it('is chosen for this message', () => {
    expect(codec.bulk).toBe(true);
  });

  it('encodes what protobuf-es fromBinary reads back as the same message', () => {
    fc.assert(
      fc.property(messages, (message) => {
        expect(same(schema, fromBinary(schema, codec.encode(message)), message)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes what protobuf-es toBinary wrote as the same message', () => {
    fc.assert(
      fc.property(messages, (message) => {
        expect(same(schema, codec.decode(toBinary(schema, message)), message)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the very bytes toBinary writes when there are no unknown fields (the bulk field is last)', () => {
    fc.assert(
      fc.property(messages, (message) => {
        message.$unknown = undefined;
        expect(Buffer.compare(codec.encode(message), Buffer.from(toBinary(schema, message)))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes arbitrary bytes to a message or a MessageCodecError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MessageCodecError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('decodes damaged encodings (cut, bytes changed) to a message or a MessageCodecError', () => {
    const damaged = fc
      .tuple(messages, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean())
      .map(([message, cut, at, xor, truncate]) => {
        const bytes = Buffer.from(codec.encode(message));
        if (bytes.length === 0) return bytes;
        if (truncate) return bytes.subarray(0, cut % bytes.length);
        const index = at % bytes.length;
        bytes[index] = (bytes[index] as number) ^ xor;
        return bytes;
      });
    fc.assert(
      fc.property(damaged, (bytes) => {
        try {
          codec.decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MessageCodecError);
        }
      }),
      { numRuns: 500 },
    );
  });
}

describe('bulk codec: UploadRequest (bytes inside a oneof)', () => {
  wireCompatible(UploadRequestSchema, uploadRequest);

  it('decodes the payload as a view of the received buffer, without a copy', () => {
    const data = POOL.subarray(0, 2 * BULK_MIN_BYTES);
    const received = Buffer.from(
      toBinary(UploadRequestSchema, create(UploadRequestSchema, { payload: { case: 'data', value: data } })),
    );
    const decoded = messageCodec(UploadRequestSchema).decode(received);
    expect(decoded.payload.case).toBe('data');
    const view = decoded.payload.value as Uint8Array;
    expect(view.buffer).toBe(received.buffer);
    expect(Buffer.compare(view, data)).toBe(0);
  });
});

describe('bulk codec: DownloadResponse (top-level bytes)', () => {
  wireCompatible(DownloadResponseSchema, downloadResponse);

  it('accepts an init object as well as a message', () => {
    const data = POOL.subarray(0, 3 * BULK_MIN_BYTES);
    const encoded = messageCodec(DownloadResponseSchema).encode({ offset: 7n, data });
    const decoded = fromBinary(DownloadResponseSchema, encoded);
    expect(decoded.offset).toBe(7n);
    expect(Buffer.compare(decoded.data, data)).toBe(0);
  });

  it('decodes the payload as a view of the received buffer, without a copy', () => {
    const data = POOL.subarray(0, 2 * BULK_MIN_BYTES);
    const received = Buffer.from(
      toBinary(DownloadResponseSchema, create(DownloadResponseSchema, { offset: 9n, data })),
    );
    const decoded = messageCodec(DownloadResponseSchema).decode(received);
    expect(decoded.offset).toBe(9n);
    expect(decoded.data.buffer).toBe(received.buffer);
    expect(Buffer.compare(decoded.data, data)).toBe(0);
  });

  it('releases a lent payload only once its bytes are copied out, and only once', () => {
    const codec = messageCodec(DownloadResponseSchema);
    const data = Buffer.from(POOL.subarray(0, 2 * BULK_MIN_BYTES));
    const original = Buffer.from(data);
    let releases = 0;
    const message = releaseAfterCopy({ offset: 3n, data }, () => releases++);
    expect(codec.encodedSize(message)).toBeGreaterThan(data.byteLength);
    const frame = codec.serialize(message);
    expect(frame).toBeInstanceOf(BulkFrame);
    expect(releases).toBe(0);
    const out = Buffer.alloc(frame.length + 5);
    frame.copy(out, 5);
    expect(releases).toBe(1);
    data.fill(0xee); // the sender reuses its buffer: what was copied must not change
    frame.copy(Buffer.alloc(frame.length), 0);
    expect(releases).toBe(1);
    expect(Buffer.compare(fromBinary(DownloadResponseSchema, out.subarray(5)).data, original)).toBe(0);
  });

  it('releases a payload too small to be kept by reference as soon as it is encoded', () => {
    let releases = 0;
    const message = releaseAfterCopy({ offset: 1n, data: Buffer.alloc(16, 1) }, () => releases++);
    const encoded = messageCodec(DownloadResponseSchema).serialize(message);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(releases).toBe(1);
  });

  it('returns a Buffer, which grpc-js requires of a serializer', () => {
    const codec = messageCodec(DownloadResponseSchema);
    expect(Buffer.isBuffer(codec.encode({ offset: 1n, data: POOL.subarray(0, BULK_MIN_BYTES) }))).toBe(true);
    expect(Buffer.isBuffer(codec.encode({ offset: 1n }))).toBe(true);
  });
});

describe('codec selection', () => {
  it('uses the plain protobuf-es path for messages without a top-level bytes field', () => {
    expect(bulkFields(EchoRequestSchema)).toEqual([]);
    expect(messageCodec(EchoRequestSchema).bulk).toBe(false);
    expect(messageCodec(healthV1.HealthCheckResponseSchema).bulk).toBe(false);
  });

  it('round-trips a plain message', () => {
    const codec = messageCodec(EchoRequestSchema);
    const decoded = codec.decode(codec.encode({ text: 'héllo', delayMs: 5, failCode: 3 }));
    expect(decoded).toMatchObject({ text: 'héllo', delayMs: 5, failCode: 3 });
  });

  it('wraps an encoding failure in MessageCodecError', () => {
    const codec = messageCodec(EchoRequestSchema);
    expect(() => codec.encode({ delayMs: -1 })).toThrow(MessageCodecError);
  });

  it('caches one codec per descriptor', () => {
    expect(messageCodec(UploadRequestSchema)).toBe(messageCodec(UploadRequestSchema));
  });
});
