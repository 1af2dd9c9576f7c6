import { createRequire } from 'node:module';

/** The parts of @ronomon/reed-solomon 6.0.0 we use (it ships no types). */
export interface RonomonBinding {
  readonly MAX_K: number;
  readonly MAX_M: number;
  create(k: number, m: number): Buffer;
  encode(
    context: Buffer,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    end: (error?: Error | null) => void,
  ): void;
}

export type RonomonLoadResult = { ok: true; binding: RonomonBinding } | { ok: false; reason: string };

/** Loads the CommonJS native addon; never throws, says why when it is missing or unbuilt. */
export function loadRonomon(): RonomonLoadResult {
  try {
    const binding = createRequire(import.meta.url)('@ronomon/reed-solomon') as Partial<RonomonBinding>;
    if (typeof binding.create !== 'function' || typeof binding.encode !== 'function')
      return { ok: false, reason: '@ronomon/reed-solomon does not export create/encode' };
    return { ok: true, binding: binding as RonomonBinding };
  } catch (err) {
    return {
      ok: false,
      reason: `@ronomon/reed-solomon could not be loaded (install script blocked or failed?): ${(err as Error).message}`,
    };
  }
}
