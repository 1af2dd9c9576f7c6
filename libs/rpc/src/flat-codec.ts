import { create, protoInt64, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import { varint32Size, writeVarint32 } from './varint.js';

// A codec for "flat" messages: proto3, every field a singular scalar or enum
// outside any oneof — ids, sizes, offsets, statuses; most small requests and
// responses. protobuf-es encodes and decodes them by reflection, which on a
// small unary call cost as much CPU as the rest of the adapter put together
// and about a tenth of the whole call (tools/bench suite `rpc`). Here each
// message type gets a field plan once; encoding computes the exact size and
// writes into one Buffer, decoding fills a copy of a zero message.
//
// Exactness is the contract: the bytes are those `toBinary` writes (same
// field order, same encodings), the messages those `fromBinary` returns.
// Anything outside the plain path — a value of an unexpected type or range,
// unknown fields, a wire type other than the field's, malformed input —
// returns undefined, and the caller uses protobuf-es, which then produces its
// own result or its own error. flat-codec.spec.ts checks both directions
// against protobuf-es with fast-check.

const EDITION_PROTO3 = 999;
const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

interface FlatField {
  readonly desc: DescField;
  readonly localName: string;
  readonly number: number;
  /** ScalarType, or ENUM_KIND for enums (encoded as int32). */
  readonly kind: number;
  readonly wireType: WireType;
  readonly tag: number;
  readonly tagSize: number;
  /** proto3 implicit presence: the zero value is not written. */
  readonly implicit: boolean;
  readonly longAsString: boolean;
  readonly utf8Validation: boolean;
}

const ENUM_KIND = -1;

export interface FlatPlan {
  readonly typeName: string;
  readonly fields: readonly FlatField[];
  readonly byNumber: ReadonlyMap<number, FlatField>;
  readonly zero: Readonly<Record<string, unknown>>;
}

function wireTypeOf(kind: number): WireType {
  switch (kind) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The plan for a flat message, or undefined if the message is not flat. */
export function flatPlan(schema: DescMessage): FlatPlan | undefined {
  if (schema.file.edition !== EDITION_PROTO3 || schema.oneofs.length > 0) return undefined;
  const fields: FlatField[] = [];
  for (const desc of schema.fields) {
    if (desc.oneof !== undefined) return undefined;
    if (desc.fieldKind !== 'scalar' && desc.fieldKind !== 'enum') return undefined;
    if (desc.fieldKind === 'enum' && desc.enum.values[0]?.number !== 0) return undefined;
    const kind = desc.fieldKind === 'enum' ? ENUM_KIND : desc.scalar;
    const wireType = wireTypeOf(kind);
    const tag = ((desc.number << 3) | wireType) >>> 0;
    fields.push({
      desc,
      localName: desc.localName,
      number: desc.number,
      kind,
      wireType,
      tag,
      tagSize: varint32Size(tag),
      // proto3 `optional` fields have explicit presence; all others implicit.
      implicit: desc.presence === FeatureSet_FieldPresence.IMPLICIT,
      longAsString: desc.fieldKind === 'scalar' && desc.longAsString,
      utf8Validation: desc.utf8Validation,
    });
  }
  fields.sort((a, b) => a.number - b.number);
  return {
    typeName: schema.typeName,
    fields,
    byNumber: new Map(fields.map((field) => [field.number, field])),
    zero: create(schema) as unknown as Record<string, unknown>,
  };
}

function isZero(field: FlatField, value: unknown): boolean {
  switch (field.kind) {
    case ScalarType.BOOL:
      return value === false;
    case ScalarType.STRING:
      return value === '';
    case ScalarType.BYTES:
      return value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return Object.is(value, 0);
    default:
      // Loose, as protobuf-es: 0, 0n and '0' are all zero.
      return value == 0;
  }
}

const isInt32 = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
const isUint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= UINT32_MAX;

/** 64-bit halves of an int64-family value, or undefined for a value protobuf-es should judge. */
function halves(field: FlatField, value: unknown): { lo: number; hi: number } | undefined {
  const expected = field.longAsString ? 'string' : 'bigint';
  if (typeof value !== expected) return undefined;
  const unsigned = field.kind === ScalarType.UINT64 || field.kind === ScalarType.FIXED64;
  try {
    return unsigned ? protoInt64.uEnc(value as bigint | string) : protoInt64.enc(value as bigint | string);
  } catch {
    return undefined;
  }
}

function varint64Size(lo: number, hi: number): number {
  const high = hi >>> 0;
  if (high === 0) return varint32Size(lo >>> 0);
  return Math.ceil((64 - Math.clz32(high)) / 7);
}

function writeVarint64(out: Uint8Array, offset: number, lo: number, hi: number): number {
  let low = lo >>> 0;
  let high = hi >>> 0;
  let at = offset;
  while (high !== 0 || low >= 0x80) {
    out[at++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  out[at++] = low;
  return at;
}

// Per-field scratch for the two encoding passes (encoding is synchronous, so
// one set serves every call).
const LO: number[] = [];
const HI: number[] = [];
const SIZE: number[] = [];

/**
 * The encoding of a flat message or init object, or undefined when protobuf-es
 * must do it (unknown fields, unexpected values). Fields in `skip` are left out.
 */
export function encodeFlat(plan: FlatPlan, value: object, skip?: readonly DescField[]): Buffer | undefined {
  const message = value as Record<string, unknown>;
  const unknown = message.$unknown as unknown[] | undefined;
  if (unknown !== undefined && unknown.length > 0) return undefined;
  const fields = plan.fields;
  let total = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FlatField;
    SIZE[i] = -1;
    const v = message[field.localName];
    if (v == null || (field.implicit && isZero(field, v))) continue;
    if (skip !== undefined && skip.includes(field.desc)) continue;
    let size: number;
    switch (field.kind) {
      case ScalarType.INT32:
      case ENUM_KIND:
        if (!isInt32(v)) return undefined;
        size = v < 0 ? 10 : varint32Size(v);
        break;
      case ScalarType.SINT32:
        if (!isInt32(v)) return undefined;
        size = varint32Size(((v << 1) ^ (v >> 31)) >>> 0);
        break;
      case ScalarType.UINT32:
        if (!isUint32(v)) return undefined;
        size = varint32Size(v);
        break;
      case ScalarType.FIXED32:
        if (!isUint32(v)) return undefined;
        size = 4;
        break;
      case ScalarType.SFIXED32:
        if (!isInt32(v)) return undefined;
        size = 4;
        break;
      case ScalarType.FLOAT:
        if (typeof v !== 'number' || (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX)) return undefined;
        size = 4;
        break;
      case ScalarType.DOUBLE:
        if (typeof v !== 'number') return undefined;
        size = 8;
        break;
      case ScalarType.BOOL:
        if (typeof v !== 'boolean') return undefined;
        size = 1;
        break;
      case ScalarType.STRING: {
        if (typeof v !== 'string') return undefined;
        const length = Buffer.byteLength(v, 'utf8');
        LO[i] = length;
        size = varint32Size(length) + length;
        break;
      }
      case ScalarType.BYTES:
        if (!(v instanceof Uint8Array)) return undefined;
        size = varint32Size(v.byteLength) + v.byteLength;
        break;
      default: {
        // The int64 family.
        const h = halves(field, v);
        if (h === undefined) return undefined;
        let { lo, hi } = h;
        if (field.kind === ScalarType.SINT64) {
          const sign = hi >> 31;
          const zlo = (lo << 1) ^ sign;
          hi = ((hi << 1) | (lo >>> 31)) ^ sign;
          lo = zlo;
        }
        LO[i] = lo;
        HI[i] = hi;
        size = field.kind === ScalarType.FIXED64 || field.kind === ScalarType.SFIXED64 ? 8 : varint64Size(lo, hi);
      }
    }
    SIZE[i] = size;
    total += field.tagSize + size;
  }

  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < fields.length; i++) {
    if ((SIZE[i] as number) < 0) continue;
    const field = fields[i] as FlatField;
    const v = message[field.localName];
    at = writeVarint32(out, at, field.tag);
    switch (field.kind) {
      case ScalarType.INT32:
      case ENUM_KIND: {
        const n = v as number;
        at = n < 0 ? writeVarint64(out, at, n, -1) : writeVarint32(out, at, n);
        break;
      }
      case ScalarType.SINT32: {
        const n = v as number;
        at = writeVarint32(out, at, ((n << 1) ^ (n >> 31)) >>> 0);
        break;
      }
      case ScalarType.UINT32:
        at = writeVarint32(out, at, v as number);
        break;
      case ScalarType.FIXED32:
        at = out.writeUInt32LE(v as number, at);
        break;
      case ScalarType.SFIXED32:
        at = out.writeInt32LE(v as number, at);
        break;
      case ScalarType.FLOAT:
        at = out.writeFloatLE(v as number, at);
        break;
      case ScalarType.DOUBLE:
        at = out.writeDoubleLE(v as number, at);
        break;
      case ScalarType.BOOL:
        out[at++] = v ? 1 : 0;
        break;
      case ScalarType.STRING: {
        const length = LO[i] as number;
        at = writeVarint32(out, at, length);
        at += out.write(v as string, at, length, 'utf8');
        break;
      }
      case ScalarType.BYTES: {
        const bytes = v as Uint8Array;
        at = writeVarint32(out, at, bytes.byteLength);
        out.set(bytes, at);
        at += bytes.byteLength;
        break;
      }
      case ScalarType.FIXED64:
      case ScalarType.SFIXED64:
        at = out.writeInt32LE((LO[i] as number) | 0, at);
        at = out.writeInt32LE((HI[i] as number) | 0, at);
        break;
      default:
        at = writeVarint64(out, at, LO[i] as number, HI[i] as number);
    }
  }
  return at === total ? out : undefined;
}

function readValue(reader: BinaryReader, field: FlatField): unknown {
  switch (field.kind) {
    case ScalarType.STRING:
      return reader.string(field.utf8Validation);
    case ScalarType.BOOL:
      return reader.bool();
    case ScalarType.DOUBLE:
      return reader.double();
    case ScalarType.FLOAT:
      return reader.float();
    case ScalarType.INT32:
    case ENUM_KIND:
      return reader.int32();
    case ScalarType.UINT32:
      return reader.uint32();
    case ScalarType.SINT32:
      return reader.sint32();
    case ScalarType.FIXED32:
      return reader.fixed32();
    case ScalarType.SFIXED32:
      return reader.sfixed32();
    case ScalarType.BYTES:
      return reader.bytes();
    case ScalarType.INT64:
      return long(field, reader.int64());
    case ScalarType.UINT64:
      return long(field, reader.uint64());
    case ScalarType.SINT64:
      return long(field, reader.sint64());
    case ScalarType.FIXED64:
      return long(field, reader.fixed64());
    case ScalarType.SFIXED64:
      return long(field, reader.sfixed64());
    default:
      throw new Error(`unexpected field kind ${field.kind}`);
  }
}

function long(field: FlatField, value: bigint | string): bigint | string {
  return field.longAsString ? String(value) : value;
}

/**
 * The message encoded in `bytes`, or undefined when protobuf-es must decode it
 * (unknown fields, wire type mismatch, malformed input). Bytes fields are
 * views of `bytes`, as with fromBinary.
 */
export function decodeFlat(plan: FlatPlan, bytes: Uint8Array): Record<string, unknown> | undefined {
  const message: Record<string, unknown> = { ...plan.zero };
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < reader.len) {
      // reader.tag() would allocate a pair per field; the same checks, inline.
      const start = reader.pos;
      const tag = reader.uint32();
      const read = reader.pos - start;
      if (read > 5 || (read === 5 && (bytes[reader.pos - 1] as number) > 0x0f)) return undefined;
      const field = plan.byNumber.get(tag >>> 3);
      if (field === undefined || (tag & 7) !== field.wireType) return undefined;
      message[field.localName] = readValue(reader, field);
    }
  } catch {
    return undefined;
  }
  return reader.pos === reader.len ? message : undefined;
}
