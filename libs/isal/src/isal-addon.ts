import os from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The hand-written N-API binding in native/platter_isal.c. */
export interface IsalAddon {
  cauchyMatrix(k: number, m: number): Buffer;
  initTables(k: number, rows: number, matrix: Uint8Array): Buffer;
  encodeSync(length: number, tables: Uint8Array, sources: readonly Uint8Array[], outputs: readonly Uint8Array[]): void;
  encode(
    length: number,
    tables: Uint8Array,
    sources: readonly Uint8Array[],
    outputs: readonly Uint8Array[],
  ): Promise<void>;
  /** The standard CRC32C of `bytes`, continuing from `initial` (default 0). */
  crc32c(bytes: Uint8Array, initial?: number): number;
}

export type IsalLoadResult = { ok: true; addon: IsalAddon; path: string } | { ok: false; reason: string };

/** Where `scripts/build-native.mjs` leaves the addon (same relative path from src/ and dist/). */
export const DEFAULT_ISAL_ADDON_PATH = fileURLToPath(
  new URL('../native/build/Release/platter_isal.node', import.meta.url),
);

// dlopen is process-wide anyway: remember each path's outcome instead of re-opening it.
const loaded = new Map<string, IsalLoadResult>();

/**
 * Loads the ISA-L addon with RTLD_DEEPBIND so its calls to gf_mul resolve to
 * ISA-L's own symbol rather than the one the node binary exports from
 * OpenSSL (STACK.md pitfall 6). Never throws: says why it could not load.
 */
export function loadIsalAddon(path: string = DEFAULT_ISAL_ADDON_PATH): IsalLoadResult {
  const cached = loaded.get(path);
  if (cached !== undefined) return cached;
  const result = tryLoad(path);
  loaded.set(path, result);
  return result;
}

function tryLoad(path: string): IsalLoadResult {
  if (!existsSync(path))
    return {
      ok: false,
      reason: `ISA-L addon not built (${path} missing; run node libs/isal/scripts/build-native.mjs)`,
    };
  const flags = os.constants.dlopen as Partial<Record<string, number>>;
  if (flags.RTLD_NOW === undefined || flags.RTLD_DEEPBIND === undefined)
    return { ok: false, reason: 'this platform has no RTLD_DEEPBIND; the ISA-L addon is Linux/glibc only' };
  const module: { exports: Partial<IsalAddon> } = { exports: {} };
  try {
    process.dlopen(module, path, flags.RTLD_NOW | flags.RTLD_DEEPBIND);
  } catch (err) {
    return { ok: false, reason: `could not load ${path}: ${(err as Error).message}` };
  }
  const addon = module.exports;
  if (
    typeof addon.cauchyMatrix !== 'function' ||
    typeof addon.initTables !== 'function' ||
    typeof addon.encodeSync !== 'function' ||
    typeof addon.encode !== 'function' ||
    typeof addon.crc32c !== 'function'
  )
    return { ok: false, reason: `${path} does not export the expected functions` };
  return { ok: true, addon: addon as IsalAddon, path };
}
