import { protoInt64, ScalarType } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  ENUM_KIND,
  MAX_DEPTH,
  MESSAGE_KIND,
  Shape,
  type CompiledPlan,
  type FieldPlan,
  type Fields,
} from './compiled-plan.js';

// Decoding by a compiled plan (compiled-plan.ts states the contract): a
// function generated per message type reads exactly what fromBinary would
// read, or declines (undefined) and leaves the message to protobuf-es.

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

/** An int32, enum or uint32: one byte inline, anything longer (a negative int32 takes ten) through BinaryReader. */
function readVarint32(reader: BinaryReader, buf: Buffer, signed: boolean): number {
  const byte = buf[reader.pos];
  if (byte !== undefined && byte < 0x80) {
    reader.pos++;
    return byte;
  }
  return signed ? reader.int32() : reader.uint32();
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
  v32: readVarint32,
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
      return 'h.v32(r, buf, true)';
    case ScalarType.UINT32:
      return 'h.v32(r, buf, false)';
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
