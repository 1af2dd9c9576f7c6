import { setTimeout as sleep } from 'node:timers/promises';

export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  checks?: Record<string, HealthCheckResult>;
}

/** One named check; return a boolean or a result with a short, non-secret detail. */
export interface HealthCheck {
  name: string;
  check(): boolean | HealthCheckResult | Promise<boolean | HealthCheckResult>;
}

export type HealthProbe = () => HealthReport | Promise<HealthReport>;

// A probe slower than this is a failing probe: kubelet's default timeout is 1 s, ours must answer first.
export const HEALTH_CHECK_TIMEOUT_MS = 800;

async function runOne(check: HealthCheck, timeoutMs: number): Promise<HealthCheckResult> {
  const timedOut = Symbol('timeout');
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => check.check()),
      sleep(timeoutMs, timedOut, { ref: false }),
    ]);
    if (result === timedOut) return { ok: false, detail: `timed out after ${timeoutMs} ms` };
    return typeof result === 'boolean' ? { ok: result } : result;
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : 'check threw' };
  }
}

/** Combines checks into a probe: all run concurrently, each bounded; ok only if all are ok. */
export function healthProbe(checks: readonly HealthCheck[], timeoutMs = HEALTH_CHECK_TIMEOUT_MS): HealthProbe {
  return async () => {
    const results = await Promise.all(checks.map(async (c) => [c.name, await runOne(c, timeoutMs)] as const));
    return { ok: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
  };
}
