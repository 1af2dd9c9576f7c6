import { CauchyCodec } from './cauchy-codec.js';
import { RS_CAUCHY_GF256, RS_GF256_RONOMON, isCodecId, type CodecId } from './codec-id.js';
import { CodecUnavailableError, UnknownCodecError } from './errors.js';
import { DEFAULT_ISAL_ADDON_PATH, loadIsalAddon } from '@platter/isal';
import { IsalKernel } from './isal-kernel.js';
import { JsKernel } from './js-kernel.js';
import { RonomonCodec } from './ronomon-codec.js';
import { loadRonomon } from './ronomon-binding.js';
import type { CodecImplementation, StripeCodec } from './stripe-codec.js';

export interface OpenCodecOptions {
  /**
   * Force one implementation (tests, benchmarks). Without it: rs-cauchy-gf256
   * uses ISA-L, else the pure-TS kernel (same bytes, far slower);
   * rs-gf256-ronomon uses ronomon. Never a different codec id.
   */
  readonly implementation?: CodecImplementation;
  /** Path of the built ISA-L addon; default native/build/Release/platter_isal.node. */
  readonly isalAddonPath?: string;
  /** Source bytes per call from which ISA-L work moves to the libuv pool (see ISAL_OFFLOAD_THRESHOLD_BYTES). */
  readonly isalOffloadThresholdBytes?: number;
}

export interface ImplementationStatus {
  readonly implementation: CodecImplementation;
  readonly codecId: CodecId;
  readonly available: boolean;
  /** Why not, when unavailable; where from, when available. */
  readonly detail: string;
}

/**
 * Opens the codec an existing cluster recorded. The id fixes the bytes; only
 * the implementation may vary with what this machine has built.
 */
export function openCodec(id: string, k: number, m: number, options: OpenCodecOptions = {}): StripeCodec {
  if (!isCodecId(id)) throw new UnknownCodecError(id);
  const wanted = options.implementation;
  if (id === RS_GF256_RONOMON) {
    if (wanted !== undefined && wanted !== 'ronomon')
      throw new CodecUnavailableError(id, `only the ronomon implementation produces ${id}, not ${wanted}`);
    const ronomon = loadRonomon();
    if (!ronomon.ok) throw new CodecUnavailableError(id, ronomon.reason);
    return new RonomonCodec(k, m, ronomon.binding);
  }
  if (wanted === 'ronomon') throw new CodecUnavailableError(id, `ronomon does not implement ${id}`);
  if (wanted === 'js') return new CauchyCodec(k, m, new JsKernel());
  const isal = loadIsalAddon(options.isalAddonPath ?? DEFAULT_ISAL_ADDON_PATH);
  if (isal.ok) return new CauchyCodec(k, m, new IsalKernel(isal.addon, options.isalOffloadThresholdBytes));
  if (wanted === 'isal') throw new CodecUnavailableError(id, isal.reason);
  return new CauchyCodec(k, m, new JsKernel());
}

/** What this machine can run, for startup logs and `platter` diagnostics. */
export function implementationStatus(options: Pick<OpenCodecOptions, 'isalAddonPath'> = {}): ImplementationStatus[] {
  const isal = loadIsalAddon(options.isalAddonPath ?? DEFAULT_ISAL_ADDON_PATH);
  const ronomon = loadRonomon();
  return [
    { implementation: 'isal', codecId: RS_CAUCHY_GF256, available: isal.ok, detail: isal.ok ? isal.path : isal.reason },
    { implementation: 'js', codecId: RS_CAUCHY_GF256, available: true, detail: 'pure TypeScript reference kernel' },
    {
      implementation: 'ronomon',
      codecId: RS_GF256_RONOMON,
      available: ronomon.ok,
      detail: ronomon.ok ? '@ronomon/reed-solomon 6.0.0' : ronomon.reason,
    },
  ];
}

export interface CodecChoice {
  readonly id: CodecId;
  readonly implementation: CodecImplementation;
  readonly reason: string;
}

/**
 * The codec id to record for a NEW cluster: rs-cauchy-gf256 on ISA-L when
 * the addon is built, else rs-gf256-ronomon, else rs-cauchy-gf256 on the
 * pure-TS kernel. Never use this for an existing cluster: read its id.
 */
export function chooseCodecForNewCluster(options: Pick<OpenCodecOptions, 'isalAddonPath'> = {}): CodecChoice {
  const isal = loadIsalAddon(options.isalAddonPath ?? DEFAULT_ISAL_ADDON_PATH);
  if (isal.ok) return { id: RS_CAUCHY_GF256, implementation: 'isal', reason: `ISA-L addon loaded from ${isal.path}` };
  const ronomon = loadRonomon();
  if (ronomon.ok)
    return {
      id: RS_GF256_RONOMON,
      implementation: 'ronomon',
      reason: `ISA-L unavailable (${isal.reason}); using ronomon`,
    };
  return {
    id: RS_CAUCHY_GF256,
    implementation: 'js',
    reason: `ISA-L unavailable (${isal.reason}) and ronomon unavailable (${ronomon.reason}); pure-TS kernel`,
  };
}

/** One line for startup logs: which id, which implementation, which shape. */
export function describeCodec(codec: StripeCodec): string {
  return `${codec.id} ${codec.k}+${codec.m} via ${codec.implementation}`;
}
