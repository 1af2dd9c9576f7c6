import {
  create,
  fromBinary,
  isMessage,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { BulkFrame, bulkFields, serializeBulk } from './bulk-codec.js';
import { decodeCompiled } from './compiled-decoder.js';
import { encodeCompiled, sizeCompiled } from './compiled-encoder.js';
import { compiledPlan } from './compiled-plan.js';
import { toBuffer, type SerializedMessage } from './serialized-message.js';
import { MessageCodecError } from './codec-error.js';

/** Encoding, decoding and the grpc-js serializer of one message type. */
export interface MessageCodec<Desc extends DescMessage> {
  readonly schema: Desc;
  /** True when large top-level bytes fields bypass the protobuf-es writer. */
  readonly bulk: boolean;
  /** The wire bytes of a message. */
  encode(value: MessageInitShape<Desc> | MessageShape<Desc>): Buffer;
  /**
   * The serializer given to grpc-js: a Buffer of the same bytes, except for a
   * message with a large bytes field: a BulkFrame, which grpc-js copies
   * straight into its HTTP/2 frame, so the payload is copied once, not twice.
   */
  serialize(value: MessageInitShape<Desc> | MessageShape<Desc>): SerializedMessage;
  /** Throws MessageCodecError, and nothing else, on malformed input. */
  decode(bytes: Uint8Array): MessageShape<Desc>;
  /** How many bytes `encode` gives; for the compiled codec without encoding. */
  encodedSize(value: MessageInitShape<Desc> | MessageShape<Desc>): number;
}

const CODECS = new WeakMap<DescMessage, MessageCodec<DescMessage>>();

/**
 * The codec for a message type (cached per descriptor).
 *
 * Rules: a message with at least one top-level singular `bytes` field gets the
 * bulk encoder (see bulk-codec.ts); a proto3 message gets the compiled codec
 * of compiled-plan.ts (with compiled-encoder.ts and compiled-decoder.ts); everything else,
 * and whatever those two decline, goes through protobuf-es `toBinary` and
 * `fromBinary`. Bytes fields always decode as a `subarray` of the input (as
 * protobuf-es 2.13 does too), so a shard payload arrives as a view of the
 * buffer grpc-js received, with no copy (bulk-codec.spec.ts pins this).
 * Keep that in mind before storing a small bytes field from a big message:
 * the view keeps the whole message buffer alive; copy it if it outlives the call.
 */
export function messageCodec<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc> {
  const cached = CODECS.get(schema);
  if (cached !== undefined) return cached as unknown as MessageCodec<Desc>;
  const codec = buildCodec(schema);
  CODECS.set(schema, codec as unknown as MessageCodec<DescMessage>);
  return codec;
}

function buildCodec<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc> {
  const fields = bulkFields(schema);
  const bulk = fields.length > 0;
  const compiled = compiledPlan(schema);
  const fail = (what: string, error: unknown): MessageCodecError =>
    new MessageCodecError(schema.typeName, `${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  const serialize = (value: MessageInitShape<Desc> | MessageShape<Desc>): SerializedMessage => {
    try {
      if (bulk) return serializeBulk(schema, fields, value, compiled);
      const fast = compiled === undefined ? undefined : encodeCompiled(compiled, value as object);
      if (fast !== undefined) return fast;
      const message = isMessage(value, schema) ? value : create(schema, value as MessageInitShape<Desc>);
      return toBuffer(toBinary(schema, message));
    } catch (error) {
      throw fail('cannot encode', error);
    }
  };
  return {
    schema,
    bulk,
    serialize,
    encode: (value) => {
      const serialized = serialize(value);
      return serialized instanceof BulkFrame ? serialized.toBuffer() : (serialized as Buffer);
    },
    encodedSize: (value) => {
      if (bulk) return serializeBulk(schema, fields, value, compiled, true).length;
      const size = compiled === undefined ? undefined : sizeCompiled(compiled, value as object);
      return size ?? serialize(value).length;
    },
    decode: (bytes) => {
      const fast = compiled === undefined ? undefined : decodeCompiled(compiled, bytes);
      if (fast !== undefined) return fast as MessageShape<Desc>;
      try {
        return fromBinary(schema, bytes);
      } catch (error) {
        throw fail('cannot decode', error);
      }
    },
  };
}
