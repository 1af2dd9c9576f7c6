import { describe, expect, it } from 'vitest';
import { chooseCodecForNewCluster, describeCodec, implementationStatus, openCodec } from './codec-factory.js';
import { RS_CAUCHY_GF256, RS_GF256_RONOMON } from './codec-id.js';
import { CodecUnavailableError, GeometryError, UnknownCodecError } from './errors.js';

const MISSING_ADDON = '/nonexistent/platter_isal.node';

describe('openCodec', () => {
  it('uses ISA-L for rs-cauchy-gf256 when the addon is built, and says so', () => {
    const codec = openCodec(RS_CAUCHY_GF256, 5, 4);
    expect(codec).toMatchObject({ id: RS_CAUCHY_GF256, implementation: 'isal', k: 5, m: 4, shardAlignment: 1 });
    expect(describeCodec(codec)).toBe('rs-cauchy-gf256 5+4 via isal');
  });

  it('falls back to the pure-TS kernel (same id, same bytes) without the addon', () => {
    const codec = openCodec(RS_CAUCHY_GF256, 5, 4, { isalAddonPath: MISSING_ADDON });
    expect(codec).toMatchObject({ id: RS_CAUCHY_GF256, implementation: 'js' });
    expect(() => openCodec(RS_CAUCHY_GF256, 5, 4, { isalAddonPath: MISSING_ADDON, implementation: 'isal' })).toThrow(
      CodecUnavailableError,
    );
  });

  it('never serves one id with another id’s implementation', () => {
    expect(() => openCodec(RS_CAUCHY_GF256, 5, 4, { implementation: 'ronomon' })).toThrow(CodecUnavailableError);
    expect(() => openCodec(RS_GF256_RONOMON, 5, 4, { implementation: 'isal' })).toThrow(CodecUnavailableError);
    expect(openCodec(RS_GF256_RONOMON, 5, 4)).toMatchObject({
      id: RS_GF256_RONOMON,
      implementation: 'ronomon',
      shardAlignment: 8,
    });
  });

  it('rejects unknown ids and unsupported geometry', () => {
    expect(() => openCodec('rs-vandermonde-gf256', 5, 4)).toThrow(UnknownCodecError);
    expect(() => openCodec(RS_GF256_RONOMON, 5, 7)).toThrow(GeometryError);
    expect(() => openCodec(RS_CAUCHY_GF256, 200, 56)).toThrow(GeometryError);
    expect(() => openCodec(RS_CAUCHY_GF256, 0, 1)).toThrow(GeometryError);
  });
});

describe('choosing a codec for a new cluster', () => {
  it('prefers rs-cauchy-gf256 on ISA-L, else rs-gf256-ronomon', () => {
    expect(chooseCodecForNewCluster()).toMatchObject({ id: RS_CAUCHY_GF256, implementation: 'isal' });
    const fallback = chooseCodecForNewCluster({ isalAddonPath: MISSING_ADDON });
    expect(fallback).toMatchObject({ id: RS_GF256_RONOMON, implementation: 'ronomon' });
    expect(fallback.reason).toContain('not built');
  });

  it('reports what this machine can run', () => {
    const status = implementationStatus({ isalAddonPath: MISSING_ADDON });
    expect(status.map((s) => [s.implementation, s.available])).toEqual([
      ['isal', false],
      ['js', true],
      ['ronomon', true],
    ]);
    expect(status[0]!.detail).toContain('build-native.mjs');
  });
});
