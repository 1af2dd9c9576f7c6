import { create, protoInt64, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { FeatureSet_FieldPresence, isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { varint32Size } from './varint.js';

// A compiled codec for proto3 messages: scalars, enums, nested messages,
// repeated fields (packed or not), string-keyed maps and oneofs. protobuf-es
// encodes and decodes by reflection, which costs as much CPU as the rest of
// a small unary call (tools/bench suite `rpc`) and most of a listing page
// (2 ms to encode 309 object summaries; `npm run bench -- codec`). Here every
// message type gets a field plan once; encoding sizes the whole tree in a
// first pass (nested lengths kept in a scratch array, in visiting order),
// then writes it into one Buffer (compiled-encoder.ts); decoding runs a
// function generated per message type (compiled-decoder.ts). This module
// decides which messages qualify and plans their fields.
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
/** fromBinary's default recursion limit; deeper trees go to protobuf-es. */
export const MAX_DEPTH = 100;

/** Value kinds besides ScalarType. */
export const ENUM_KIND = -1;
export const MESSAGE_KIND = -2;

/** How a field holds its values. */
export const Shape = { Scalar: 0, Message: 1, List: 2, Map: 3 } as const;
export type Shape = (typeof Shape)[keyof typeof Shape];

export interface FieldPlan {
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

export type Fields = Record<string, unknown>;

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
