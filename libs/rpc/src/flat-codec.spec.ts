import {
  create,
  createFileRegistry,
  createRegistry,
  equals,
  fromBinary,
  toBinary,
  type DescMessage,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldOptions_JSType,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { healthV1, testingV1Echo } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageCodecError } from './codec-error.js';
import { decodeFlat, encodeFlat, flatPlan } from './flat-codec.js';
import { messageCodec } from './message-codec.js';

// A proto3 message with every scalar type, an enum, proto3 `optional`
// fields, 64-bit fields as strings and a very high field number, built at
// run time so that no contract has to carry test-only fields.
const MAX_FIELD_NUMBER = 536_870_911;
const SCALARS: [string, Type][] = [
  ['f_double', Type.DOUBLE],
  ['f_float', Type.FLOAT],
  ['f_int64', Type.INT64],
  ['f_uint64', Type.UINT64],
  ['f_int32', Type.INT32],
  ['f_fixed64', Type.FIXED64],
  ['f_fixed32', Type.FIXED32],
  ['f_bool', Type.BOOL],
  ['f_string', Type.STRING],
  ['f_bytes', Type.BYTES],
  ['f_uint32', Type.UINT32],
  ['f_sfixed32', Type.SFIXED32],
  ['f_sfixed64', Type.SFIXED64],
  ['f_sint32', Type.SINT32],
  ['f_sint64', Type.SINT64],
];
const file = create(FileDescriptorProtoSchema, {
  name: 'platter/testing/v1/flat_test.proto',
  package: 'platter.testing.v1',
  syntax: 'proto3',
  enumType: [
    {
      name: 'Color',
      value: [
        { name: 'COLOR_UNSPECIFIED', number: 0 },
        { name: 'COLOR_RED', number: 1 },
        { name: 'COLOR_FAR', number: 2_147_483_647 },
      ],
    },
  ],
  messageType: [
    {
      name: 'Flat',
      field: [
        ...SCALARS.map(([name, type], i) => ({ name, number: i + 1, type, label: Label.OPTIONAL })),
        { name: 'f_color', number: 20, type: Type.ENUM, typeName: '.platter.testing.v1.Color', label: Label.OPTIONAL },
        { name: 'o_int32', number: 21, type: Type.INT32, label: Label.OPTIONAL, proto3Optional: true, oneofIndex: 0 },
        { name: 'o_string', number: 22, type: Type.STRING, label: Label.OPTIONAL, proto3Optional: true, oneofIndex: 1 },
        { name: 'o_double', number: 23, type: Type.DOUBLE, label: Label.OPTIONAL, proto3Optional: true, oneofIndex: 2 },
        {
          name: 's_int64',
          number: 24,
          type: Type.INT64,
          label: Label.OPTIONAL,
          options: { jstype: FieldOptions_JSType.JS_STRING },
        },
        {
          name: 's_fixed64',
          number: 25,
          type: Type.FIXED64,
          label: Label.OPTIONAL,
          options: { jstype: FieldOptions_JSType.JS_STRING },
        },
        { name: 'far', number: MAX_FIELD_NUMBER, type: Type.UINT32, label: Label.OPTIONAL },
      ],
      oneofDecl: [{ name: '_o_int32' }, { name: '_o_string' }, { name: '_o_double' }],
    },
  ],
});
const Flat = createFileRegistry(file, () => undefined).getMessage('platter.testing.v1.Flat') as DescMessage;

const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const UINT64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const INT32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const UINT32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const TEXT = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });

/** Init objects for Flat: every field possibly absent, zero or any valid value. */
const flatInit = fc
  .record({
    fDouble: maybe(fc.oneof(fc.constant(0), fc.constant(-0), fc.double())),
    fFloat: maybe(fc.oneof(fc.constant(0), fc.float())),
    fInt64: maybe(fc.oneof(fc.constant(0n), INT64)),
    fUint64: maybe(fc.oneof(fc.constant(0n), UINT64)),
    fInt32: maybe(fc.oneof(fc.constant(0), INT32)),
    fFixed64: maybe(UINT64),
    fFixed32: maybe(UINT32),
    fBool: maybe(fc.boolean()),
    fString: maybe(TEXT),
    fBytes: maybe(fc.uint8Array({ maxLength: 40 })),
    fUint32: maybe(UINT32),
    fSfixed32: maybe(INT32),
    fSfixed64: maybe(INT64),
    fSint32: maybe(INT32),
    fSint64: maybe(INT64),
    fColor: maybe(fc.oneof(fc.constantFrom(0, 1, 2_147_483_647), INT32)),
    oInt32: maybe(fc.oneof(fc.constant(0), INT32)),
    oString: maybe(fc.oneof(fc.constant(''), TEXT)),
    oDouble: maybe(fc.oneof(fc.constant(0), fc.double())),
    sInt64: maybe(INT64.map(String)),
    sFixed64: maybe(UINT64.map(String)),
    far: maybe(UINT32),
  })
  .map((init) => Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)));

const registry = createRegistry();
/** Same message: protobuf-es equality, and per field Object.is (protobuf-es equals says NaN ≠ NaN). */
function expectSameMessage(actual: unknown, expected: unknown): void {
  const a = actual as Record<string, unknown>;
  const b = expected as Record<string, unknown>;
  // Own properties decide presence of proto3 `optional` fields.
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const key of Object.keys(b)) {
    const x = a[key];
    const y = b[key];
    if (x instanceof Uint8Array && y instanceof Uint8Array) expect(Buffer.compare(x, y), key).toBe(0);
    else if (key === '$unknown') expect(equals(Flat, a as never, b as never, { registry, unknown: true })).toBe(true);
    else expect(Object.is(x, y), key).toBe(true);
  }
}

const plan = flatPlan(Flat);

describe('flat codec', () => {
  it('applies to flat proto3 messages only', () => {
    expect(plan).toBeDefined();
    expect(flatPlan(testingV1Echo.EchoRequestSchema)).toBeDefined();
    expect(flatPlan(healthV1.HealthCheckResponseSchema)).toBeDefined();
    expect(flatPlan(testingV1Echo.UploadRequestSchema)).toBeUndefined(); // a oneof
  });

  it('writes exactly the bytes toBinary writes', () => {
    fc.assert(
      fc.property(flatInit, (init) => {
        const fast = encodeFlat(plan!, init);
        expect(fast).toBeDefined();
        expect(Buffer.compare(fast!, Buffer.from(toBinary(Flat, create(Flat, init))))).toBe(0);
        expect(Buffer.compare(messageCodec(Flat).encode(init), fast!)).toBe(0);
      }),
      { numRuns: 1_000 },
    );
  });

  it('writes a message (not only an init object) the same way', () => {
    fc.assert(
      fc.property(flatInit, (init) => {
        const message = create(Flat, init);
        expect(Buffer.compare(encodeFlat(plan!, message)!, Buffer.from(toBinary(Flat, message)))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reads exactly the message fromBinary reads', () => {
    fc.assert(
      fc.property(flatInit, (init) => {
        const bytes = toBinary(Flat, create(Flat, init));
        const fast = decodeFlat(plan!, bytes);
        expect(fast).toBeDefined();
        expectSameMessage(fast, fromBinary(Flat, bytes));
        expectSameMessage(messageCodec(Flat).decode(bytes), fromBinary(Flat, bytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('on arbitrary bytes either declines or agrees with fromBinary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const fast = decodeFlat(plan!, bytes);
        if (fast !== undefined) expectSameMessage(fast, fromBinary(Flat, bytes));
        try {
          expectSameMessage(messageCodec(Flat).decode(bytes), fromBinary(Flat, bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(MessageCodecError);
          expect(() => fromBinary(Flat, bytes)).toThrow();
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('on damaged encodings either declines or agrees with fromBinary', () => {
    const damaged = fc.tuple(flatInit, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([init, at, xor]) => {
      const bytes = Buffer.from(toBinary(Flat, create(Flat, init)));
      if (bytes.length > 0) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor;
      return bytes;
    });
    fc.assert(
      fc.property(damaged, (bytes) => {
        const fast = decodeFlat(plan!, bytes);
        if (fast !== undefined) expectSameMessage(fast, fromBinary(Flat, bytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves unknown fields to protobuf-es, which keeps them', () => {
    const writer = new BinaryWriter();
    writer.tag(1_000, WireType.Varint).uint32(7);
    const bytes = new Uint8Array([...toBinary(Flat, create(Flat, { fInt32: 5 })), ...writer.finish()]);
    expect(decodeFlat(plan!, bytes)).toBeUndefined();
    const decoded = messageCodec(Flat).decode(bytes) as Record<string, unknown>;
    expect(decoded.fInt32).toBe(5);
    expect(decoded.$unknown).toHaveLength(1);
    // ...and writes them back: protobuf-es again.
    expect(encodeFlat(plan!, decoded)).toBeUndefined();
    expect(Buffer.compare(messageCodec(Flat).encode(decoded as never), Buffer.from(bytes))).toBe(0);
  });

  it('leaves values of unexpected type or range to protobuf-es, and then does what it does', () => {
    const invalid: Record<string, unknown>[] = [
      { fInt32: 2 ** 31 },
      { fInt32: 1.5 },
      { fUint32: -1 },
      { fFloat: 1e39 },
      { fInt64: 2n ** 63n },
      { fUint64: -1n },
      { fString: 42 },
      { fBytes: 'not bytes' },
    ];
    let rejected = 0;
    for (const init of invalid) {
      const label = JSON.stringify(init, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
      expect(encodeFlat(plan!, init), label).toBeUndefined();
      let expected: Uint8Array | undefined;
      try {
        expected = toBinary(Flat, create(Flat, init as never));
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        rejected++;
        expect(() => messageCodec(Flat).encode(init as never), label).toThrow(MessageCodecError);
      } else {
        expect(Buffer.compare(messageCodec(Flat).encode(init as never), Buffer.from(expected)), label).toBe(0);
      }
    }
    expect(rejected).toBeGreaterThan(4);
  });

  it('decodes strings the way protobuf-es validates them (invalid UTF-8 is an error)', () => {
    const writer = new BinaryWriter();
    writer.tag(9, WireType.LengthDelimited).bytes(new Uint8Array([0xff, 0xfe]));
    const bytes = writer.finish();
    expect(decodeFlat(plan!, bytes)).toBeUndefined();
    expect(() => messageCodec(Flat).decode(bytes)).toThrow(MessageCodecError);
  });
});
