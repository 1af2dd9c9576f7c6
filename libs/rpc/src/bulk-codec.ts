import {
  create,
  isMessage,
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type DescOneof,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { encodeCompiled } from './compiled-encoder.js';
import type { CompiledPlan } from './compiled-plan.js';
import { toBuffer, type SerializedMessage } from './serialized-message.js';
import { varint32Size, writeVarint32 } from './varint.js';

/**
 * A bytes field at least this long (bytes) leaves the protobuf-es writer and
 * is framed by hand. Below it the writer's own copy costs a few microseconds
 * and is not worth building a second message for.
 */
export const BULK_MIN_BYTES = 16 * 1024;

/** Protobuf wire type of length-delimited fields (bytes, strings, messages). */
const WIRE_TYPE_LEN = 2;

/**
 * The fields this codec frames by hand: every top-level, singular `bytes`
 * field, inside a oneof or not (repeated and map values stay with protobuf-es).
 * Sorted by number so that several of them go out in a stable order.
 */
export function bulkFields(schema: DescMessage): readonly DescField[] {
  return schema.fields
    .filter((field) => field.fieldKind === 'scalar' && field.scalar === ScalarType.BYTES)
    .sort((a, b) => a.number - b.number);
}

interface Segment {
  readonly tag: number;
  readonly bytes: Uint8Array;
}

type Fields = Record<string, unknown>;

/** Messages whose payload a sender wants back once it is copied out (see releaseAfterCopy). */
const releases = new WeakMap<object, () => void>();

/**
 * Asks to be told when `message`'s large bytes fields have been copied into
 * the transport's own buffer, so that the caller may reuse their memory (a
 * pooled read buffer) instead of leaving one fresh ArrayBuffer per message to
 * the garbage collector. grpc-js copies a serialized message into its frame
 * when it sends it, which may be after later messages were queued behind it;
 * `release` runs right after that copy, at most once, and never if the
 * message is not sent (the memory is then simply collected). Until then the
 * bytes must not change. A message without a large bytes field is encoded at
 * once, so `release` runs when it is serialized.
 */
export function releaseAfterCopy<T extends object>(message: T, release: () => void): T {
  releases.set(message, release);
  return message;
}

function bulkValue(message: Fields, field: DescField): Uint8Array | undefined {
  if (field.oneof !== undefined) {
    const selected = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return selected?.case === field.localName ? (selected.value as Uint8Array) : undefined;
  }
  return message[field.localName] as Uint8Array | undefined;
}

/** The member of the message (field or oneof) that holds a bulk field's value. */
function holder(field: DescField): DescField | DescOneof {
  return field.oneof ?? field;
}

/**
 * A message encoded as its other fields (`head`) followed by its large bytes
 * fields, kept by reference. grpc-js copies it straight into the
 * HTTP/2 frame it builds, so a shard payload is copied once on its way out,
 * as with a raw Buffer, instead of once into a message buffer and once more
 * into the frame. Deliberately not a Buffer: any other use fails loudly
 * (zlib, Buffer.concat) instead of sending half a message — which is also why
 * clientChannelOptions refuses compression.
 */
export class BulkFrame implements SerializedMessage {
  readonly length: number;
  readonly #head: Uint8Array;
  readonly #segments: readonly Segment[];
  #release: (() => void) | undefined;

  constructor(head: Uint8Array, segments: readonly Segment[], release?: () => void) {
    this.#head = head;
    this.#segments = segments;
    this.#release = release;
    let length = head.byteLength;
    for (const { tag, bytes } of segments)
      length += varint32Size(tag) + varint32Size(bytes.byteLength) + bytes.byteLength;
    this.length = length;
  }

  get byteLength(): number {
    return this.length;
  }

  /** Writes the whole encoding into `target` at `targetStart`; returns the bytes written, like Buffer#copy. */
  copy(target: Uint8Array, targetStart = 0): number {
    if (targetStart < 0 || targetStart + this.length > target.byteLength) {
      throw new RangeError(
        `a ${this.length}-byte message does not fit at ${targetStart} in ${target.byteLength} bytes`,
      );
    }
    target.set(this.#head, targetStart);
    let at = targetStart + this.#head.byteLength;
    for (const { tag, bytes } of this.#segments) {
      at = writeVarint32(target, at, tag);
      at = writeVarint32(target, at, bytes.byteLength);
      target.set(bytes, at);
      at += bytes.byteLength;
    }
    const release = this.#release;
    this.#release = undefined;
    release?.();
    return this.length;
  }

  /** The encoding as one Buffer (one copy of each payload). */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.copy(out, 0);
    return out;
  }
}

/**
 * Serializes a message whose large bytes fields must not pass through the
 * protobuf-es writer, which would copy them into its output.
 *
 * The other fields are encoded by the compiled codec, or by `toBinary` from a copy
 * of the message that lacks the large bytes fields; each of those follows as
 * tag, length and payload. Field order on the wire is free in protobuf and a oneof carries one
 * member, so any parser reads back the same message. When the bulk field has
 * the highest number of the fields set (every shard message), the bytes are
 * even identical to `toBinary`'s.
 *
 * Without a large bytes field the result is the plain encoding, as a Buffer.
 */
export function serializeBulk<Desc extends DescMessage>(
  schema: Desc,
  fields: readonly DescField[],
  value: MessageInitShape<Desc> | MessageShape<Desc>,
  compiled?: CompiledPlan,
  sizeOnly = false,
): SerializedMessage {
  // Sizing encodes without sending: it must leave the release to the real send.
  const release = sizeOnly ? undefined : releases.get(value);
  if (release !== undefined) releases.delete(value);
  const encoded = encodeBulk(schema, fields, value, compiled, release);
  // No payload kept by reference: the bytes are already copied.
  if (!(encoded instanceof BulkFrame)) release?.();
  return encoded;
}

function encodeBulk<Desc extends DescMessage>(
  schema: Desc,
  fields: readonly DescField[],
  value: MessageInitShape<Desc> | MessageShape<Desc>,
  compiled: CompiledPlan | undefined,
  release: (() => void) | undefined,
): SerializedMessage {
  if (compiled !== undefined) {
    // The compiled codec needs neither create() nor a copy without the payloads.
    const large = fields.filter((field) => (bulkValue(value as Fields, field)?.byteLength ?? 0) >= BULK_MIN_BYTES);
    const head = encodeCompiled(compiled, value, large);
    if (head !== undefined) {
      if (large.length === 0) return head;
      return new BulkFrame(
        head,
        large.map((field) => ({ tag: tagOf(field), bytes: bulkValue(value as Fields, field) as Uint8Array })),
        release,
      );
    }
  }
  const message = (isMessage(value, schema) ? value : create(schema, value)) as unknown as Fields;
  let large: DescField[] | undefined;
  let segments: Segment[] | undefined;
  for (const field of fields) {
    const bytes = bulkValue(message, field);
    if (bytes !== undefined && bytes.byteLength >= BULK_MIN_BYTES) {
      (large ??= []).push(field);
      (segments ??= []).push({ tag: tagOf(field), bytes });
    }
  }
  if (large === undefined || segments === undefined) return toBuffer(toBinary(schema, message as MessageShape<Desc>));

  const rest = create(schema) as unknown as Fields;
  for (const member of schema.members) {
    if (large.some((field) => holder(field) === member)) continue;
    // Own properties only: a field read through a prototype default is unset.
    if (Object.hasOwn(message, member.localName)) rest[member.localName] = message[member.localName];
  }
  if (message.$unknown !== undefined) rest.$unknown = message.$unknown;
  return new BulkFrame(toBinary(schema, rest as MessageShape<Desc>), segments, release);
}

function tagOf(field: DescField): number {
  return ((field.number << 3) | WIRE_TYPE_LEN) >>> 0;
}
