import {
  create,
  createFileRegistry,
  ScalarType,
  createRegistry,
  equals,
  fromBinary,
  toBinary,
  type DescField,
  type DescMessage,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldOptions_JSType,
  file_google_protobuf_timestamp,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import * as contracts from '@platter/proto';
import { healthV1, testingV1Echo } from '@platter/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageCodecError } from './codec-error.js';
import { decodeCompiled } from './compiled-decoder.js';
import { encodeCompiled, sizeCompiled } from './compiled-encoder.js';
import { compiledPlan } from './compiled-plan.js';
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
    {
      // Every shape the compiled codec handles besides flat fields.
      name: 'Tree',
      field: [
        msgField('flat', 1, '.platter.testing.v1.Flat'),
        msgField('flats', 2, '.platter.testing.v1.Flat', Label.REPEATED),
        { name: 'r_int32', number: 3, type: Type.INT32, label: Label.REPEATED },
        { name: 'r_sint64', number: 4, type: Type.SINT64, label: Label.REPEATED },
        { name: 'r_double', number: 5, type: Type.DOUBLE, label: Label.REPEATED },
        { name: 'r_bool', number: 6, type: Type.BOOL, label: Label.REPEATED },
        { name: 'r_color', number: 7, type: Type.ENUM, typeName: '.platter.testing.v1.Color', label: Label.REPEATED },
        { name: 'r_string', number: 8, type: Type.STRING, label: Label.REPEATED },
        { name: 'r_bytes', number: 9, type: Type.BYTES, label: Label.REPEATED },
        msgField('m_string', 10, '.platter.testing.v1.Tree.MStringEntry', Label.REPEATED),
        msgField('m_int64', 11, '.platter.testing.v1.Tree.MInt64Entry', Label.REPEATED),
        msgField('m_flat', 12, '.platter.testing.v1.Tree.MFlatEntry', Label.REPEATED),
        msgField('m_color', 13, '.platter.testing.v1.Tree.MColorEntry', Label.REPEATED),
        { name: 'c_string', number: 14, type: Type.STRING, label: Label.OPTIONAL, oneofIndex: 0 },
        { ...msgField('c_flat', 15, '.platter.testing.v1.Flat'), oneofIndex: 0 },
        { name: 'c_uint64', number: 16, type: Type.UINT64, label: Label.OPTIONAL, oneofIndex: 0 },
        { name: 'c_bytes', number: 17, type: Type.BYTES, label: Label.OPTIONAL, oneofIndex: 0 },
        msgField('child', 18, '.platter.testing.v1.Tree'),
        msgField('children', 19, '.platter.testing.v1.Tree', Label.REPEATED),
        msgField('at', 20, '.google.protobuf.Timestamp'),
        {
          name: 'r_fixed64',
          number: 21,
          type: Type.FIXED64,
          label: Label.REPEATED,
          options: { packed: false },
        },
        msgField('m_bytes', 22, '.platter.testing.v1.Tree.MBytesEntry', Label.REPEATED),
      ],
      oneofDecl: [{ name: 'choice' }],
      nestedType: [
        mapEntry('MStringEntry', { type: Type.STRING }),
        mapEntry('MInt64Entry', { type: Type.INT64 }),
        mapEntry('MFlatEntry', { type: Type.MESSAGE, typeName: '.platter.testing.v1.Flat' }),
        mapEntry('MColorEntry', { type: Type.ENUM, typeName: '.platter.testing.v1.Color' }),
        mapEntry('MBytesEntry', { type: Type.BYTES }),
      ],
    },
  ],
  dependency: ['google/protobuf/timestamp.proto'],
});
const testRegistry = createFileRegistry(file, (name) =>
  name === 'google/protobuf/timestamp.proto' ? file_google_protobuf_timestamp : undefined,
);
const Flat = testRegistry.getMessage('platter.testing.v1.Flat') as DescMessage;
const Tree = testRegistry.getMessage('platter.testing.v1.Tree') as DescMessage;

function msgField(name: string, number: number, typeName: string, label = Label.OPTIONAL) {
  return { name, number, type: Type.MESSAGE, typeName, label };
}

function mapEntry(name: string, value: { type: Type; typeName?: string }) {
  return {
    name,
    field: [
      { name: 'key', number: 1, type: Type.STRING, label: Label.OPTIONAL },
      { name: 'value', number: 2, label: Label.OPTIONAL, ...value },
    ],
    options: { mapEntry: true },
  };
}

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

const plan = compiledPlan(Flat);

describe('compiled codec on a flat message', () => {
  it('applies to proto3 messages', () => {
    expect(plan).toBeDefined();
    expect(compiledPlan(testingV1Echo.EchoRequestSchema)).toBeDefined();
    expect(compiledPlan(healthV1.HealthCheckResponseSchema)).toBeDefined();
    expect(compiledPlan(testingV1Echo.UploadRequestSchema)).toBeDefined(); // a oneof
    expect(compiledPlan(FileDescriptorProtoSchema)).toBeUndefined(); // proto2
  });

  it('writes exactly the bytes toBinary writes', () => {
    fc.assert(
      fc.property(flatInit, (init) => {
        const fast = encodeCompiled(plan!, init);
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
        expect(Buffer.compare(encodeCompiled(plan!, message)!, Buffer.from(toBinary(Flat, message)))).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reads exactly the message fromBinary reads', () => {
    fc.assert(
      fc.property(flatInit, (init) => {
        const bytes = toBinary(Flat, create(Flat, init));
        const fast = decodeCompiled(plan!, bytes);
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
        const fast = decodeCompiled(plan!, bytes);
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
        const fast = decodeCompiled(plan!, bytes);
        if (fast !== undefined) expectSameMessage(fast, fromBinary(Flat, bytes));
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves unknown fields to protobuf-es, which keeps them', () => {
    const writer = new BinaryWriter();
    writer.tag(1_000, WireType.Varint).uint32(7);
    const bytes = new Uint8Array([...toBinary(Flat, create(Flat, { fInt32: 5 })), ...writer.finish()]);
    expect(decodeCompiled(plan!, bytes)).toBeUndefined();
    const decoded = messageCodec(Flat).decode(bytes) as Record<string, unknown>;
    expect(decoded.fInt32).toBe(5);
    expect(decoded.$unknown).toHaveLength(1);
    // ...and writes them back: protobuf-es again.
    expect(encodeCompiled(plan!, decoded)).toBeUndefined();
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
      expect(encodeCompiled(plan!, init), label).toBeUndefined();
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
    expect(decodeCompiled(plan!, bytes)).toBeUndefined();
    expect(() => messageCodec(Flat).decode(bytes)).toThrow(MessageCodecError);
  });
});

// Init objects for any message, from its descriptor: every field possibly
// absent, lists and maps of up to a few entries, message fields to depth 3.
const SCALAR_ARBS: Record<number, fc.Arbitrary<unknown>> = {
  [ScalarType.DOUBLE]: fc.oneof(fc.constant(0), fc.constant(-0), fc.double()),
  [ScalarType.FLOAT]: fc.oneof(fc.constant(0), fc.float()),
  [ScalarType.INT64]: fc.oneof(fc.constant(0n), INT64),
  [ScalarType.UINT64]: fc.oneof(fc.constant(0n), UINT64),
  [ScalarType.INT32]: fc.oneof(fc.constant(0), INT32),
  [ScalarType.FIXED64]: UINT64,
  [ScalarType.FIXED32]: UINT32,
  [ScalarType.BOOL]: fc.boolean(),
  [ScalarType.STRING]: fc.oneof(fc.constant(''), TEXT),
  [ScalarType.BYTES]: fc.uint8Array({ maxLength: 24 }),
  [ScalarType.UINT32]: UINT32,
  [ScalarType.SFIXED32]: INT32,
  [ScalarType.SFIXED64]: INT64,
  [ScalarType.SINT32]: INT32,
  [ScalarType.SINT64]: INT64,
};
const MAX_ARB_DEPTH = 3;
const initArbs = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

function valueArb(field: DescField, kind: 'scalar' | 'enum' | 'message', depth: number): fc.Arbitrary<unknown> {
  if (kind === 'message') return initArb(field.message as DescMessage, depth + 1);
  if (kind === 'enum')
    return fc.oneof(
      fc.constantFrom(...(field.enum as { values: { number: number }[] }).values.map((v) => v.number)),
      INT32,
    );
  const arb = SCALAR_ARBS[field.scalar as number] as fc.Arbitrary<unknown>;
  return 'longAsString' in field && field.longAsString ? arb.map(String) : arb;
}

function initArb(schema: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const id = `${schema.typeName}@${depth}`;
  const cached = initArbs.get(id);
  if (cached !== undefined) return cached;
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of schema.fields) {
    if (field.oneof !== undefined) continue;
    const deep = depth >= MAX_ARB_DEPTH;
    switch (field.fieldKind) {
      case 'scalar':
      case 'enum':
        parts[field.localName] = maybe(valueArb(field, field.fieldKind, depth));
        break;
      case 'message':
        parts[field.localName] = deep ? fc.constant(undefined) : maybe(valueArb(field, 'message', depth));
        break;
      case 'list':
        parts[field.localName] =
          deep && field.listKind === 'message'
            ? fc.constant(undefined)
            : maybe(fc.array(valueArb(field, field.listKind, depth), { maxLength: 4 }));
        break;
      case 'map':
        parts[field.localName] =
          deep && field.mapKind === 'message'
            ? fc.constant(undefined)
            : maybe(
                fc.dictionary(
                  TEXT.filter((k) => k !== '__proto__'),
                  valueArb(field, field.mapKind, depth),
                  { maxKeys: 3 },
                ),
              );
        break;
    }
  }
  for (const oneof of schema.oneofs) {
    const members = oneof.fields.filter((f) => f.fieldKind !== 'message' || depth < MAX_ARB_DEPTH);
    parts[oneof.localName] = fc.oneof(
      fc.constant(undefined),
      ...members.map((f) =>
        valueArb(f, f.fieldKind as 'scalar' | 'enum' | 'message', depth).map((value) => ({ case: f.localName, value })),
      ),
    );
  }
  const arb = fc
    .record(parts)
    .map((init) => Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)));
  initArbs.set(id, arb);
  return arb;
}

/** Deep equality where numbers compare with Object.is and bytes by content. */
function expectSameTree(actual: unknown, expected: unknown, path = '$'): void {
  if (expected instanceof Uint8Array) {
    expect(actual, path).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(actual as Uint8Array, expected), path).toBe(0);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((item, i) => expectSameTree((actual as unknown[])[i], item, `${path}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    expect(typeof actual, path).toBe('object');
    const a = actual as Record<string, unknown>;
    const b = expected as Record<string, unknown>;
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
    for (const key of Object.keys(b)) expectSameTree(a[key], b[key], `${path}.${key}`);
  } else {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} vs ${String(expected)}`).toBe(true);
  }
}

/** Both directions against protobuf-es for one init object. */
function expectExact(schema: DescMessage, init: Record<string, unknown>): void {
  const plan = compiledPlan(schema);
  expect(plan, schema.typeName).toBeDefined();
  const message = create(schema, init);
  const bytes = Buffer.from(toBinary(schema, message));
  const fromInit = encodeCompiled(plan!, init);
  expect(fromInit, schema.typeName).toBeDefined();
  expect(Buffer.compare(fromInit!, bytes), schema.typeName).toBe(0);
  expect(Buffer.compare(encodeCompiled(plan!, message)!, bytes), schema.typeName).toBe(0);
  expect(sizeCompiled(plan!, init), schema.typeName).toBe(bytes.length);
  expect(messageCodec(schema).encodedSize(message), schema.typeName).toBe(bytes.length);
  const decoded = decodeCompiled(plan!, bytes);
  expect(decoded, schema.typeName).toBeDefined();
  expectSameTree(decoded, fromBinary(schema, bytes), schema.typeName);
}

describe('compiled codec on nested messages, lists, maps and oneofs', () => {
  const treePlan = compiledPlan(Tree)!;

  it('writes and reads exactly what protobuf-es does', () => {
    fc.assert(
      fc.property(initArb(Tree), (init) => expectExact(Tree, init)),
      { numRuns: 200 },
    );
  });

  it('agrees with protobuf-es on every message of the contracts', () => {
    const schemas = Object.values(contracts)
      .flatMap((module) => Object.values(module as Record<string, unknown>))
      .filter((v): v is DescMessage => typeof v === 'object' && v !== null && (v as DescMessage).kind === 'message');
    expect(schemas.length).toBeGreaterThan(100);
    for (const schema of schemas) {
      fc.assert(
        fc.property(initArb(schema), (init) => expectExact(schema, init)),
        { numRuns: 25 },
      );
    }
  });

  it('on arbitrary and damaged bytes either declines or agrees with fromBinary', () => {
    const damaged = fc.tuple(initArb(Tree), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([init, at, xor]) => {
      const bytes = Buffer.from(toBinary(Tree, create(Tree, init)));
      if (bytes.length > 0) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor;
      return bytes;
    });
    let agreed = 0;
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 64 })), (bytes) => {
        const fast = decodeCompiled(treePlan, bytes);
        if (fast === undefined) return;
        agreed++;
        expectSameTree(fast, fromBinary(Tree, bytes));
      }),
      { numRuns: 1_000 },
    );
    // Most single-byte damage still parses; the codec must have decided those itself.
    expect(agreed).toBeGreaterThan(50);
  });

  it('leaves a repeated message field to protobuf-es, which merges it', () => {
    const first = toBinary(Tree, create(Tree, { flat: { fInt32: 1, fString: 'a' } }));
    const second = toBinary(Tree, create(Tree, { flat: { fUint32: 2 } }));
    const bytes = new Uint8Array([...first, ...second]);
    expect(decodeCompiled(treePlan, bytes)).toBeUndefined();
    const merged = messageCodec(Tree).decode(bytes) as unknown as { flat: Record<string, unknown> };
    expect([merged.flat.fInt32, merged.flat.fString, merged.flat.fUint32]).toEqual([1, 'a', 2]);
  });

  it('leaves trees deeper than the recursion limit to protobuf-es', () => {
    let init: Record<string, unknown> = { rInt32: [1] };
    for (let i = 0; i < 120; i++) init = { child: init };
    expect(encodeCompiled(treePlan, init)).toBeUndefined();
    const bytes = toBinary(Tree, create(Tree, init));
    expect(Buffer.compare(messageCodec(Tree).encode(init as never), Buffer.from(bytes))).toBe(0);
    expect(decodeCompiled(treePlan, bytes)).toBeUndefined();
    expect(() => fromBinary(Tree, bytes)).toThrow();
    expect(() => messageCodec(Tree).decode(bytes)).toThrow(MessageCodecError);
  });

  it('declines a oneof naming a case the message does not have, and values of the wrong type', () => {
    expect(encodeCompiled(treePlan, { choice: { case: 'nope', value: 1 } })).toBeUndefined();
    expect(encodeCompiled(treePlan, { flat: { $typeName: 'platter.testing.v1.Tree' } })).toBeUndefined();
    expect(encodeCompiled(treePlan, { rInt32: 'not a list' })).toBeUndefined();
    expect(encodeCompiled(treePlan, { mString: { a: 7 } })).toBeUndefined();
    expect(encodeCompiled(treePlan, { flats: [{ fInt32: 1.5 }] })).toBeUndefined();
  });
});
