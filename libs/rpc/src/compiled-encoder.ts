import { protoInt64, ScalarType, type DescField } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import {
  ENUM_KIND,
  MAX_DEPTH,
  MESSAGE_KIND,
  Shape,
  type CompiledPlan,
  type FieldPlan,
  type Fields,
} from './compiled-plan.js';
import { varint32Size, writeVarint32 } from './varint.js';

// Encoding by a compiled plan (compiled-plan.ts states the contract): a first
// pass sizes the whole tree and checks every value, a second writes it into
// one Buffer of exactly that size.

const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

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
 * The length of encodeCompiled's answer, found without writing it (the
 * first of its two passes), or undefined where it would decline.
 */
export function sizeCompiled(plan: CompiledPlan, value: object): number | undefined {
  try {
    top = 0;
    const total = sizeMessage(plan, value, undefined, 0);
    return total < 0 ? undefined : total;
  } catch {
    return undefined;
  }
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
