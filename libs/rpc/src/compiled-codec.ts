import { create, protoInt64, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FeatureSet_FieldPresence, isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { varint32Size, writeVarint32 } from './varint.js';

// A compiled codec for proto3 messages: scalars, enums, nested messages,
// repeated fields (packed or not), string-keyed maps and oneofs. protobuf-es
// encodes and decodes by reflection, which costs as much CPU as the rest of
// a small unary call (tools/bench suite `rpc`) and most of a listing page
// (2 ms to encode 309 object summaries; `npm run bench -- codec`). Here every
// message type gets a field plan once; encoding sizes the whole tree in a
// first pass (nested lengths kept in a scratch array, in visiting order),
// then writes it into one Buffer; decoding runs a function generated per
// message type (see compileDecoder).
//
// Exactness is the contract: the bytes are those `toBinary` writes (fields in
// number order, the same encodings, map entries with key and value always
// written), the messages those `fromBinary` returns. Anything outside the
// plain path — a value of an unexpected type or range, unknown fields, a wire
// type other than the field's, a message field seen twice (protobuf-es would
// merge), malformed input — returns undefined, and the caller uses protobuf-es,
// which then produces its own result or its own error. compiled-codec.spec.ts
// checks both directions against protobuf-es with fast-check, on test
// messages and on every message of our contracts.

const EDITION_PROTO3 = 999;
const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
/** fromBinary's default recursion limit; deeper trees go to protobuf-es. */
const MAX_DEPTH = 100;

/** Value kinds besides ScalarType. */
const ENUM_KIND = -1;
const MESSAGE_KIND = -2;

const enum Shape {
  Scalar,
  Message,
  List,
  Map,
}

interface FieldPlan {
  readonly desc: DescField;
  readonly localName: string;
  readonly number: number;
  readonly shape: Shape;
  /** Kind of the value, the list element or the map value: a ScalarType, ENUM_KIND or MESSAGE_KIND. */
  readonly kind: number;
  /** Wire type of one value (a packed list as a whole is length-delimited). */
  readonly wireType: WireType;
  /** Tag of the field as written: packed lists and maps use the length-delimited wire type. */
  readonly tag: number;
  readonly tagSize: number;
  /** proto3 implicit presence: a singular scalar equal to zero is not written. */
  readonly implicit: boolean;
  readonly packed: boolean;
  readonly longAsString: boolean;
  readonly utf8Validation: boolean;
  /** Local name of the oneof holding this field, if any. */
  readonly oneof: string | undefined;
  /** The plan of the message, list element or map value (set once every plan of the tree exists). */
  message: CompiledPlan | undefined;
  /** A map value's zero, for an entry that lacks one. */
  readonly mapValueZero: unknown;
}

interface OneofPlan {
  readonly localName: string;
  readonly members: ReadonlySet<string>;
}

export interface CompiledPlan {
  readonly typeName: string;
  readonly fields: readonly FieldPlan[];
  readonly zero: Readonly<Record<string, unknown>>;
  readonly lists: readonly string[];
  readonly maps: readonly string[];
  readonly oneofs: readonly OneofPlan[];
}

type Fields = Record<string, unknown>;

function wireTypeOf(kind: number): WireType {
  switch (kind) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
    case MESSAGE_KIND:
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

const openEnum = (desc: DescField): boolean => {
  const e = desc.enum;
  return e !== undefined && e.open && e.values[0]?.number === 0;
};

const plainMessage = (schema: DescMessage | undefined): schema is DescMessage =>
  schema !== undefined && !isWrapperDesc(schema);

/** Whether every message reachable from `schema` is one this codec handles exactly. */
function supported(schema: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  if (schema.file.edition !== EDITION_PROTO3) return false;
  for (const desc of schema.fields) {
    switch (desc.fieldKind) {
      case 'scalar':
        break;
      case 'enum':
        if (!openEnum(desc)) return false;
        break;
      case 'message':
        if (desc.delimitedEncoding || !plainMessage(desc.message) || !supported(desc.message, seen)) return false;
        break;
      case 'list':
        if (desc.listKind === 'enum' && !openEnum(desc)) return false;
        if (desc.listKind === 'message') {
          if (desc.delimitedEncoding || !plainMessage(desc.message) || !supported(desc.message, seen)) return false;
        }
        break;
      case 'map':
        if (desc.mapKey !== ScalarType.STRING) return false;
        if (desc.mapKind === 'enum' && !openEnum(desc)) return false;
        if (desc.mapKind === 'message' && (!plainMessage(desc.message) || !supported(desc.message, seen))) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const PLANS = new WeakMap<DescMessage, CompiledPlan | null>();

/** The plan for a message type, or undefined if protobuf-es must handle it (cached per descriptor). */
export function compiledPlan(schema: DescMessage): CompiledPlan | undefined {
  const cached = PLANS.get(schema);
  if (cached !== undefined) return cached ?? undefined;
  if (!supported(schema, new Set())) {
    PLANS.set(schema, null);
    return undefined;
  }
  return buildPlan(schema);
}

function valueKind(desc: DescField): number {
  switch (desc.fieldKind) {
    case 'scalar':
      return desc.scalar;
    case 'enum':
      return ENUM_KIND;
    case 'message':
      return MESSAGE_KIND;
    case 'list':
      return desc.listKind === 'scalar' ? desc.scalar : desc.listKind === 'enum' ? ENUM_KIND : MESSAGE_KIND;
    case 'map':
      return desc.mapKind === 'scalar' ? desc.scalar : desc.mapKind === 'enum' ? ENUM_KIND : MESSAGE_KIND;
  }
}

function buildPlan(schema: DescMessage): CompiledPlan {
  const fields: FieldPlan[] = [];
  const plan: CompiledPlan = {
    typeName: schema.typeName,
    fields,
    zero: create(schema) as unknown as Fields,
    lists: schema.fields.filter((f) => f.fieldKind === 'list').map((f) => f.localName),
    maps: schema.fields.filter((f) => f.fieldKind === 'map').map((f) => f.localName),
    oneofs: schema.oneofs.map((o) => ({ localName: o.localName, members: new Set(o.fields.map((f) => f.localName)) })),
  };
  // Cached before its fields are planned, so that a recursive type finds itself.
  PLANS.set(schema, plan);
  for (const desc of schema.fields) {
    const kind = valueKind(desc);
    const shape =
      desc.fieldKind === 'list'
        ? Shape.List
        : desc.fieldKind === 'map'
          ? Shape.Map
          : kind === MESSAGE_KIND
            ? Shape.Message
            : Shape.Scalar;
    const packed = desc.fieldKind === 'list' && desc.packed;
    const wireType = wireTypeOf(kind);
    const fieldWireType = packed || shape === Shape.Map ? WireType.LengthDelimited : wireType;
    const tag = ((desc.number << 3) | fieldWireType) >>> 0;
    let mapValueZero: unknown;
    if (desc.fieldKind === 'map' && desc.mapKind !== 'message')
      mapValueZero = desc.mapKind === 'enum' ? desc.enum.values[0]?.number : scalarZero(kind);
    fields.push({
      desc,
      localName: desc.localName,
      number: desc.number,
      shape,
      kind,
      wireType,
      tag,
      tagSize: varint32Size(tag),
      implicit: desc.presence === FeatureSet_FieldPresence.IMPLICIT,
      packed,
      longAsString: 'longAsString' in desc && desc.longAsString === true,
      utf8Validation: desc.utf8Validation,
      oneof: desc.oneof?.localName,
      message: undefined,
      mapValueZero,
    });
  }
  fields.sort((a, b) => a.number - b.number);
  for (const field of fields) {
    if (field.kind === MESSAGE_KIND) field.message = compiledPlan(field.desc.message as DescMessage);
  }
  return plan;
}

/** A scalar's zero as fromBinary gives it to a map entry without a value. */
function scalarZero(kind: number): unknown {
  switch (kind) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return protoInt64.zero;
    default:
      return 0;
  }
}

function isZero(kind: number, value: unknown): boolean {
  switch (kind) {
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

// Scratch shared by the two encoding passes (encoding is synchronous, so one
// array serves every call): the first pass appends, in visiting order, each
// nested message's length, each string's byte length and each 64-bit value's
// halves; the second pass reads them back in the same order.
const SCRATCH: number[] = [];
let top = 0;
let cursor = 0;

/** The encoded size of one scalar (without tag), or -1 for a value protobuf-es should judge. */
function sizeScalar(kind: number, longAsString: boolean, v: unknown): number {
  switch (kind) {
    case ScalarType.INT32:
    case ENUM_KIND:
      if (!isInt32(v)) return -1;
      return v < 0 ? 10 : varint32Size(v);
    case ScalarType.SINT32:
      if (!isInt32(v)) return -1;
      return varint32Size(((v << 1) ^ (v >> 31)) >>> 0);
    case ScalarType.UINT32:
      return isUint32(v) ? varint32Size(v) : -1;
    case ScalarType.FIXED32:
      return isUint32(v) ? 4 : -1;
    case ScalarType.SFIXED32:
      return isInt32(v) ? 4 : -1;
    case ScalarType.FLOAT:
      if (typeof v !== 'number' || (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX)) return -1;
      return 4;
    case ScalarType.DOUBLE:
      return typeof v === 'number' ? 8 : -1;
    case ScalarType.BOOL:
      return typeof v === 'boolean' ? 1 : -1;
    case ScalarType.STRING: {
      if (typeof v !== 'string') return -1;
      const length = Buffer.byteLength(v, 'utf8');
      SCRATCH[top++] = length;
      return varint32Size(length) + length;
    }
    case ScalarType.BYTES:
      return v instanceof Uint8Array ? varint32Size(v.byteLength) + v.byteLength : -1;
    default: {
      // The int64 family.
      if (typeof v !== (longAsString ? 'string' : 'bigint')) return -1;
      const unsigned = kind === ScalarType.UINT64 || kind === ScalarType.FIXED64;
      let lo: number;
      let hi: number;
      try {
        ({ lo, hi } = unsigned ? protoInt64.uEnc(v as bigint | string) : protoInt64.enc(v as bigint | string));
      } catch {
        return -1;
      }
      if (kind === ScalarType.SINT64) {
        const sign = hi >> 31;
        const zlo = (lo << 1) ^ sign;
        hi = ((hi << 1) | (lo >>> 31)) ^ sign;
        lo = zlo;
      }
      SCRATCH[top++] = lo;
      SCRATCH[top++] = hi;
      return kind === ScalarType.FIXED64 || kind === ScalarType.SFIXED64 ? 8 : varint64Size(lo, hi);
    }
  }
}

function writeScalar(kind: number, v: unknown, out: Buffer, at: number): number {
  switch (kind) {
    case ScalarType.INT32:
    case ENUM_KIND: {
      const n = v as number;
      return n < 0 ? writeVarint64(out, at, n, -1) : writeVarint32(out, at, n);
    }
    case ScalarType.SINT32: {
      const n = v as number;
      return writeVarint32(out, at, ((n << 1) ^ (n >> 31)) >>> 0);
    }
    case ScalarType.UINT32:
      return writeVarint32(out, at, v as number);
    case ScalarType.FIXED32:
      return out.writeUInt32LE(v as number, at);
    case ScalarType.SFIXED32:
      return out.writeInt32LE(v as number, at);
    case ScalarType.FLOAT:
      return out.writeFloatLE(v as number, at);
    case ScalarType.DOUBLE:
      return out.writeDoubleLE(v as number, at);
    case ScalarType.BOOL:
      out[at] = v ? 1 : 0;
      return at + 1;
    case ScalarType.STRING: {
      const length = SCRATCH[cursor++] as number;
      at = writeVarint32(out, at, length);
      return at + out.write(v as string, at, length, 'utf8');
    }
    case ScalarType.BYTES: {
      const bytes = v as Uint8Array;
      at = writeVarint32(out, at, bytes.byteLength);
      out.set(bytes, at);
      return at + bytes.byteLength;
    }
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64: {
      at = out.writeInt32LE((SCRATCH[cursor++] as number) | 0, at);
      return out.writeInt32LE((SCRATCH[cursor++] as number) | 0, at);
    }
    default: {
      const lo = SCRATCH[cursor++] as number;
      return writeVarint64(out, at, lo, SCRATCH[cursor++] as number);
    }
  }
}

/** The value a field holds in `m`, or undefined when it is not set (a oneof on another case). */
function fieldValue(field: FieldPlan, m: Fields): unknown {
  if (field.oneof === undefined) return m[field.localName];
  const selected = m[field.oneof] as { case?: unknown; value?: unknown } | undefined;
  return selected != null && selected.case === field.localName ? selected.value : undefined;
}

/** First pass: the encoded size of a message, or -1 when protobuf-es must encode it. */
function sizeMessage(
  plan: CompiledPlan,
  value: unknown,
  skip: readonly DescField[] | undefined,
  depth: number,
): number {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null || Array.isArray(value)) return -1;
  const m = value as Fields;
  if (m.$typeName !== undefined && m.$typeName !== plan.typeName) return -1;
  const unknown = m.$unknown as unknown[] | undefined;
  if (unknown !== undefined && (!Array.isArray(unknown) || unknown.length > 0)) return -1;
  for (const oneof of plan.oneofs) {
    const selected = m[oneof.localName] as { case?: unknown } | undefined;
    if (selected == null) continue;
    if (typeof selected !== 'object') return -1;
    if (selected.case !== undefined && !oneof.members.has(selected.case as string)) return -1;
  }
  let total = 0;
  for (const field of plan.fields) {
    if (skip !== undefined && skip.includes(field.desc)) continue;
    const v = fieldValue(field, m);
    if (v == null) continue;
    switch (field.shape) {
      case Shape.Scalar: {
        if (field.oneof === undefined && field.implicit && isZero(field.kind, v)) continue;
        const size = sizeScalar(field.kind, field.longAsString, v);
        if (size < 0) return -1;
        total += field.tagSize + size;
        break;
      }
      case Shape.Message: {
        const slot = top++;
        const size = sizeMessage(field.message as CompiledPlan, v, undefined, depth + 1);
        if (size < 0) return -1;
        SCRATCH[slot] = size;
        total += field.tagSize + varint32Size(size) + size;
        break;
      }
      case Shape.List: {
        if (!Array.isArray(v)) return -1;
        if (v.length === 0) continue;
        if (field.kind === MESSAGE_KIND) {
          for (const item of v) {
            const slot = top++;
            const size = sizeMessage(field.message as CompiledPlan, item, undefined, depth + 1);
            if (size < 0) return -1;
            SCRATCH[slot] = size;
            total += field.tagSize + varint32Size(size) + size;
          }
        } else if (field.packed) {
          const slot = top++;
          let payload = 0;
          for (const item of v) {
            const size = sizeScalar(field.kind, field.longAsString, item);
            if (size < 0) return -1;
            payload += size;
          }
          SCRATCH[slot] = payload;
          total += field.tagSize + varint32Size(payload) + payload;
        } else {
          for (const item of v) {
            const size = sizeScalar(field.kind, field.longAsString, item);
            if (size < 0) return -1;
            total += field.tagSize + size;
          }
        }
        break;
      }
      case Shape.Map: {
        if (typeof v !== 'object' || Array.isArray(v)) return -1;
        const entries = v as Fields;
        for (const key of Object.keys(entries)) {
          const item = entries[key];
          if (item == null) return -1;
          const slot = top++;
          // Key (field 1) and value (field 2) are always written, zero or not; both tags take one byte.
          let entry = 1 + sizeScalar(ScalarType.STRING, false, key) + 1;
          if (field.kind === MESSAGE_KIND) {
            const valueSlot = top++;
            const size = sizeMessage(field.message as CompiledPlan, item, undefined, depth + 1);
            if (size < 0) return -1;
            SCRATCH[valueSlot] = size;
            entry += varint32Size(size) + size;
          } else {
            const size = sizeScalar(field.kind, field.longAsString, item);
            if (size < 0) return -1;
            entry += size;
          }
          SCRATCH[slot] = entry;
          total += field.tagSize + varint32Size(entry) + entry;
        }
        break;
      }
    }
  }
  return total;
}

/** Second pass: writes what sizeMessage measured, reading the scratch in the same order. */
function writeMessage(
  plan: CompiledPlan,
  m: Fields,
  skip: readonly DescField[] | undefined,
  out: Buffer,
  at: number,
): number {
  for (const field of plan.fields) {
    if (skip !== undefined && skip.includes(field.desc)) continue;
    const v = fieldValue(field, m);
    if (v == null) continue;
    switch (field.shape) {
      case Shape.Scalar:
        if (field.oneof === undefined && field.implicit && isZero(field.kind, v)) continue;
        at = writeVarint32(out, at, field.tag);
        at = writeScalar(field.kind, v, out, at);
        break;
      case Shape.Message:
        at = writeVarint32(out, at, field.tag);
        at = writeVarint32(out, at, SCRATCH[cursor++] as number);
        at = writeMessage(field.message as CompiledPlan, v as Fields, undefined, out, at);
        break;
      case Shape.List: {
        const list = v as unknown[];
        if (list.length === 0) continue;
        if (field.kind === MESSAGE_KIND) {
          for (const item of list) {
            at = writeVarint32(out, at, field.tag);
            at = writeVarint32(out, at, SCRATCH[cursor++] as number);
            at = writeMessage(field.message as CompiledPlan, item as Fields, undefined, out, at);
          }
        } else if (field.packed) {
          at = writeVarint32(out, at, field.tag);
          at = writeVarint32(out, at, SCRATCH[cursor++] as number);
          for (const item of list) at = writeScalar(field.kind, item, out, at);
        } else {
          for (const item of list) {
            at = writeVarint32(out, at, field.tag);
            at = writeScalar(field.kind, item, out, at);
          }
        }
        break;
      }
      case Shape.Map: {
        const entries = v as Fields;
        const valueTag = (2 << 3) | field.wireType;
        for (const key of Object.keys(entries)) {
          at = writeVarint32(out, at, field.tag);
          at = writeVarint32(out, at, SCRATCH[cursor++] as number);
          out[at++] = (1 << 3) | WireType.LengthDelimited;
          at = writeScalar(ScalarType.STRING, key, out, at);
          out[at++] = valueTag;
          if (field.kind === MESSAGE_KIND) {
            at = writeVarint32(out, at, SCRATCH[cursor++] as number);
            at = writeMessage(field.message as CompiledPlan, entries[key] as Fields, undefined, out, at);
          } else {
            at = writeScalar(field.kind, entries[key], out, at);
          }
        }
        break;
      }
    }
  }
  return at;
}

/**
 * The encoding of a message or init object, or undefined when protobuf-es
 * must do it (unknown fields, unexpected values). Top-level fields in `skip`
 * are left out.
 */
export function encodeCompiled(plan: CompiledPlan, value: object, skip?: readonly DescField[]): Buffer | undefined {
  try {
    top = 0;
    const total = sizeMessage(plan, value, skip, 0);
    if (total < 0) return undefined;
    const out = Buffer.allocUnsafe(total);
    cursor = 0;
    const end = writeMessage(plan, value as Fields, skip, out, 0);
    return end === total && cursor === top ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Buffer's own slice-to-string, without toString's argument handling (present since Node 0.x, untyped). */
interface LatinSlicer {
  latin1Slice(start: number, end: number): string;
}

/**
 * A varint of at most 7 bytes (below 2^49, exact as a number) at the reader,
 * or -1 with the reader unmoved for a longer one (BinaryReader's 64-bit
 * readers then handle it; they allocate a pair per value, which on a listing
 * page's sizes and timestamps cost more than the rest of the decoding).
 */
function readShortVarint(reader: BinaryReader, buf: Buffer): number {
  let at = reader.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buf[at++];
    if (byte === undefined) return -1;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      reader.pos = at;
      return value;
    }
    scale *= 128;
  }
  return -1;
}

/**
 * A string field. ASCII, the common case (keys, ids, ETags), is read as
 * latin1, which for bytes below 0x80 is the same text; anything else goes to
 * protobuf-es's UTF-8 decoding, validation and replacement rules included.
 */
function readString(reader: BinaryReader, buf: Buffer, utf8Validation: boolean): string {
  const at = reader.pos;
  const length = reader.uint32();
  const start = reader.pos;
  const stop = start + length;
  if (stop <= reader.len) {
    let i = start;
    while (i < stop && (buf[i] as number) < 0x80) i++;
    if (i === stop) {
      reader.pos = stop;
      return (buf as unknown as LatinSlicer).latin1Slice(start, stop);
    }
  }
  reader.pos = at;
  return reader.string(utf8Validation);
}

function readScalar(
  reader: BinaryReader,
  buf: Buffer,
  kind: number,
  longAsString: boolean,
  utf8Validation: boolean,
): unknown {
  switch (kind) {
    case ScalarType.STRING:
      return readString(reader, buf, utf8Validation);
    case ScalarType.BOOL: {
      const v = readShortVarint(reader, buf);
      return v < 0 ? reader.bool() : v !== 0;
    }
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
    case ScalarType.UINT64: {
      // Non-negative and short: the common sizes, times and sequence numbers.
      const v = readShortVarint(reader, buf);
      if (v >= 0) return longAsString ? String(v) : BigInt(v);
      return long(longAsString, kind === ScalarType.INT64 ? reader.int64() : reader.uint64());
    }
    case ScalarType.SINT64:
      return long(longAsString, reader.sint64());
    case ScalarType.FIXED64:
      return long(longAsString, reader.fixed64());
    case ScalarType.SFIXED64:
      return long(longAsString, reader.sfixed64());
    default:
      throw new Error(`unexpected value kind ${kind}`);
  }
}

function long(longAsString: boolean, value: bigint | string): bigint | string {
  return longAsString ? String(value) : value;
}

/** The next tag, with fromBinary's checks; -1 for one it would refuse. */
function readTag(reader: BinaryReader, bytes: Uint8Array): number {
  // reader.tag() would allocate a pair per field; the same checks, inline.
  const start = reader.pos;
  const tag = reader.uint32();
  const read = reader.pos - start;
  if (read > 5 || (read === 5 && (bytes[reader.pos - 1] as number) > 0x0f)) return -1;
  return tag;
}

/** The end of a length-delimited value starting at the reader, or -1 past `end`. */
function delimitedEnd(reader: BinaryReader, end: number): number {
  const length = reader.uint32();
  const stop = reader.pos + length;
  return stop > end ? -1 : stop;
}

/** An int32 or enum: one byte inline, anything longer (negatives take ten) through BinaryReader. */
function readInt32(reader: BinaryReader, buf: Buffer): number {
  const byte = buf[reader.pos];
  if (byte !== undefined && byte < 0x80) {
    reader.pos++;
    return byte;
  }
  return reader.int32();
}

function readUint32(reader: BinaryReader, buf: Buffer): number {
  const byte = buf[reader.pos];
  if (byte !== undefined && byte < 0x80) {
    reader.pos++;
    return byte;
  }
  return reader.uint32();
}

function readBool(reader: BinaryReader, buf: Buffer): boolean {
  const v = readShortVarint(reader, buf);
  return v < 0 ? reader.bool() : v !== 0;
}

function readLong(reader: BinaryReader, buf: Buffer, kind: number, longAsString: boolean): bigint | string {
  // Non-negative and short: the common sizes, times and sequence numbers.
  const v = readShortVarint(reader, buf);
  if (v >= 0) return longAsString ? String(v) : BigInt(v);
  return long(longAsString, kind === ScalarType.INT64 ? reader.int64() : reader.uint64());
}

/** Where readMapEntry leaves the entry it read (decoding is synchronous: one slot serves every call). */
const ENTRY: { key: string; value: unknown } = { key: '', value: undefined };

/** Reads one map entry into ENTRY; false when protobuf-es must decode the message. */
function readMapEntry(reader: BinaryReader, buf: Buffer, end: number, field: FieldPlan, depth: number): boolean {
  const stop = delimitedEnd(reader, end);
  if (stop < 0) return false;
  let key = '';
  let v: unknown;
  while (reader.pos < stop) {
    const entryTag = readTag(reader, buf);
    if (entryTag === ((1 << 3) | WireType.LengthDelimited)) {
      key = readString(reader, buf, field.utf8Validation);
    } else if (entryTag === ((2 << 3) | field.wireType)) {
      if (field.kind === MESSAGE_KIND) {
        const valueStop = delimitedEnd(reader, stop);
        if (valueStop < 0) return false;
        v = decoderOf(field.message as CompiledPlan)(reader, buf, valueStop, depth + 1);
        if (v === undefined || reader.pos !== valueStop) return false;
      } else {
        v = readScalar(reader, buf, field.kind, field.longAsString, field.utf8Validation);
      }
    } else {
      return false;
    }
  }
  if (reader.pos !== stop || key === '__proto__') return false;
  if (v === undefined) {
    if (field.kind === MESSAGE_KIND) {
      const zero = decoderOf(field.message as CompiledPlan)(reader, buf, reader.pos, depth + 1);
      if (zero === undefined) return false;
      v = zero;
    } else {
      v = field.mapValueZero instanceof Uint8Array ? new Uint8Array(0) : field.mapValueZero;
    }
  }
  ENTRY.key = key;
  ENTRY.value = v;
  return true;
}

/** What generated decoders call (their first parameter). */
const HELPERS = {
  tag: readTag,
  end: delimitedEnd,
  str: readString,
  i32: readInt32,
  u32: readUint32,
  bool: readBool,
  long: readLong,
  scalar: readScalar,
  entry: readMapEntry,
  ENTRY,
  zero64: protoInt64.zero,
};

type Decoder = (reader: BinaryReader, buf: Buffer, end: number, depth: number) => Fields | undefined;
const DECODERS = new WeakMap<CompiledPlan, Decoder>();

function decoderOf(plan: CompiledPlan): Decoder {
  let decoder = DECODERS.get(plan);
  if (decoder === undefined) {
    decoder = compileDecoder(plan);
    DECODERS.set(plan, decoder);
  }
  return decoder;
}

/** JavaScript for the zero value of a singular scalar or enum field, as create() gives it. */
function zeroSource(field: FieldPlan): string {
  switch (field.kind) {
    case ScalarType.STRING:
      return '""';
    case ScalarType.BOOL:
      return 'false';
    case ScalarType.BYTES:
      return 'new Uint8Array(0)';
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return field.longAsString ? '"0"' : 'h.zero64';
    default:
      return '0';
  }
}

/** JavaScript reading one value of a scalar or enum field at the reader `r` over `buf`. */
function readSource(field: FieldPlan): string {
  switch (field.kind) {
    case ScalarType.STRING:
      return `h.str(r, buf, ${field.utf8Validation})`;
    case ScalarType.BOOL:
      return 'h.bool(r, buf)';
    case ScalarType.INT32:
    case ENUM_KIND:
      return 'h.i32(r, buf)';
    case ScalarType.UINT32:
      return 'h.u32(r, buf)';
    case ScalarType.INT64:
    case ScalarType.UINT64:
      return `h.long(r, buf, ${field.kind}, ${field.longAsString})`;
    default:
      return `h.scalar(r, buf, ${field.kind}, ${field.longAsString}, ${field.utf8Validation})`;
  }
}

/**
 * A decoder specialised to one message type: the zero message as an object
 * literal and a switch over the exact tags, so that every property is read
 * and written by name. A generic loop over the plan (property names as data)
 * ran 4–5× slower on a listing page: each summary paid for a Map lookup and
 * a megamorphic keyed store per field. Names and numbers come from the
 * descriptors and are embedded as JSON literals; nothing else is generated.
 */
function compileDecoder(plan: CompiledPlan): Decoder {
  const name = (n: string): string => JSON.stringify(n);
  const zero: string[] = [];
  const byLocalName = new Map(plan.fields.map((f) => [f.localName, f]));
  for (const key of Object.keys(plan.zero)) {
    if (key === '$typeName') zero.push(`${name(key)}: ${name(plan.typeName)}`);
    else if (plan.lists.includes(key)) zero.push(`${name(key)}: []`);
    else if (plan.maps.includes(key)) zero.push(`${name(key)}: {}`);
    else if (plan.oneofs.some((o) => o.localName === key)) zero.push(`${name(key)}: { case: undefined }`);
    else {
      const field = byLocalName.get(key);
      if (field === undefined || field.shape !== Shape.Scalar) throw new Error(`unexpected zero field ${key}`);
      zero.push(`${name(key)}: ${zeroSource(field)}`);
    }
  }
  const children: CompiledPlan[] = [];
  const cases: string[] = [];
  plan.fields.forEach((field, i) => {
    const k = name(field.localName);
    const set = (v: string): string =>
      field.oneof === undefined ? `m[${k}] = ${v};` : `m[${name(field.oneof)}] = { case: ${k}, value: ${v} };`;
    const subMessage = (): string => {
      children.push(field.message as CompiledPlan);
      return (
        `const s = h.end(r, end); if (s < 0) return undefined; ` +
        `const v = (K[${children.length - 1}] ??= D(C[${children.length - 1}]))(r, buf, s, depth + 1); ` +
        `if (v === undefined || r.pos !== s) return undefined;`
      );
    };
    const tagOf = (wireType: number): number => ((field.number << 3) | wireType) >>> 0;
    switch (field.shape) {
      case Shape.Scalar:
        cases.push(`case ${tagOf(field.wireType)}: ${set(readSource(field))} break;`);
        break;
      case Shape.Message: {
        // A second occurrence merges into the first in protobuf-es: left to it.
        const seen = field.oneof === undefined ? `m[${k}] !== undefined` : `m[${name(field.oneof)}].case === ${k}`;
        cases.push(
          `case ${tagOf(WireType.LengthDelimited)}: { if (${seen}) return undefined; ${subMessage()} ${set('v')} break; }`,
        );
        break;
      }
      case Shape.List:
        if (field.kind === MESSAGE_KIND) {
          cases.push(`case ${tagOf(WireType.LengthDelimited)}: { ${subMessage()} m[${k}].push(v); break; }`);
        } else if (field.wireType === WireType.LengthDelimited) {
          cases.push(`case ${tagOf(WireType.LengthDelimited)}: m[${k}].push(${readSource(field)}); break;`);
        } else {
          // Packed or not: fromBinary reads both.
          cases.push(
            `case ${tagOf(WireType.LengthDelimited)}: { const s = h.end(r, end); if (s < 0) return undefined; ` +
              `const a = m[${k}]; while (r.pos < s) a.push(${readSource(field)}); ` +
              `if (r.pos !== s) return undefined; break; }`,
          );
          cases.push(`case ${tagOf(field.wireType)}: m[${k}].push(${readSource(field)}); break;`);
        }
        break;
      case Shape.Map:
        cases.push(
          `case ${tagOf(WireType.LengthDelimited)}: if (!h.entry(r, buf, end, F[${i}], depth)) return undefined; ` +
            `m[${k}][h.ENTRY.key] = h.ENTRY.value; break;`,
        );
        break;
    }
  });
  const source = `
    return function decode(r, buf, end, depth) {
      if (depth > ${MAX_DEPTH}) return undefined;
      const m = { ${zero.join(', ')} };
      while (r.pos < end) {
        let tag = buf[r.pos];
        if (tag < 0x80) r.pos++;
        else {
          tag = h.tag(r, buf);
          if (tag < 0) return undefined;
        }
        switch (tag) {
          ${cases.join('\n          ')}
          default: return undefined;
        }
      }
      return r.pos === end ? m : undefined;
    };`;
  const make = new Function('h', 'C', 'K', 'F', 'D', source) as (
    h: typeof HELPERS,
    c: CompiledPlan[],
    k: Decoder[],
    f: readonly FieldPlan[],
    d: typeof decoderOf,
  ) => Decoder;
  // K: the children's decoders, looked up on first use (a type may contain itself).
  return make(HELPERS, children, [], plan.fields, decoderOf);
}

/**
 * The message encoded in `bytes`, or undefined when protobuf-es must decode it
 * (unknown fields, wire type mismatch, merges, malformed input). Bytes fields
 * are views of `bytes`, as with fromBinary.
 */
export function decodeCompiled(plan: CompiledPlan, bytes: Uint8Array): Fields | undefined {
  const reader = new BinaryReader(bytes);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoderOf(plan)(reader, buf, bytes.byteLength, 0);
  } catch {
    return undefined;
  }
}
