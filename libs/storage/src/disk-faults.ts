import type { Logger } from '@platter/telemetry';
import { z } from 'zod';
import { FaultInjector, type FaultRule, type IoOpKind } from '@platter/shardstore';

// Fault rules per disk, from config, put in front of each disk through the
// engine's own FaultInjector: reproducible stragglers (delay), device errors
// (fail) and bit rot (corrupt) in tests and the local cluster. Never for
// production; the node warns at start and exports how many rules are on.

/** Every engine I/O operation a rule can name; the compile-time check below keeps it equal to IoOpKind. */
export const IO_OP_KINDS = [
  'open',
  'read',
  'write',
  'sync',
  'truncate',
  'size',
  'close',
  'readdir',
  'unlink',
  'rename',
  'mkdir',
  'syncdir',
  'statfs',
] as const satisfies readonly IoOpKind[];
// Fails to compile when the engine gains an operation this list lacks.
const ALL_OPS_LISTED: [Exclude<IoOpKind, (typeof IO_OP_KINDS)[number]>] extends [never] ? true : false = true;
void ALL_OPS_LISTED;

/** Upper bound of one injected delay, ms: longer than any RPC deadline, so a typo of extra zeros is caught. */
export const MAX_FAULT_DELAY_MS = 60_000;
/** The key whose rules apply to every disk of the node. */
export const ALL_DISKS = '*';

export const FaultRuleSchema = z
  .strictObject({
    ops: z.array(z.enum(IO_OP_KINDS)).min(1).optional().describe('Operations the rule applies to; all when omitted'),
    pathIncludes: z.string().min(1).optional().describe('Only files whose path contains this, e.g. "extents"'),
    delayMs: z.int().min(0).max(MAX_FAULT_DELAY_MS).optional().describe('Latency added to each matching operation, ms'),
    fail: z
      .string()
      .regex(/^E[A-Z0-9]+$/, 'an errno code such as EIO or ENOSPC')
      .optional()
      .describe('Fail matching operations with this errno code'),
    corrupt: z.boolean().optional().describe('Flip one bit of the bytes read or written'),
    times: z
      .int()
      .min(1)
      .optional()
      .describe('How many times the rule fires before it retires; unlimited when omitted'),
    probability: z.number().min(0).max(1).optional().describe('Chance of firing per matching operation (default 1)'),
  })
  .refine(
    (r) => (r.delayMs ?? 0) > 0 || r.fail !== undefined || r.corrupt === true,
    'a rule must do something: delayMs > 0, fail or corrupt',
  );

/** Rules by disk id, or by `*` for every disk of the node. */
export const DiskFaultsSchema = z.record(
  z.string().regex(/^(\*|[a-z0-9][a-z0-9-]{0,62})$/, 'a disk id or "*"'),
  z.array(FaultRuleSchema),
);
export type DiskFaultsConfig = z.infer<typeof DiskFaultsSchema>;

/**
 * The fault injectors of a node's disks. Rules can be switched off and on
 * while the process runs (listenForFaultToggle), so a test can compare
 * the same cluster with and without a straggler; switching on again starts
 * each rule's `times` count afresh.
 */
export class DiskFaults {
  private readonly injectors = new Map<string, { injector: FaultInjector; rules: FaultRule[] }>();
  private on = true;

  /** `seed` makes probabilities and flipped bits reproducible; disk i uses seed + i. */
  constructor(config: DiskFaultsConfig, diskIds: readonly string[], seed = 1) {
    const everywhere = config[ALL_DISKS] ?? [];
    diskIds.forEach((id, i) => {
      const rules: FaultRule[] = [...everywhere, ...(config[id] ?? [])].map((r) => ({ ...r }));
      if (rules.length === 0) return;
      const injector = new FaultInjector(seed + i);
      for (const r of rules) injector.add(r);
      this.injectors.set(id, { injector, rules });
    });
  }

  /** Whether any disk has a rule, switched on or not. */
  get configured(): boolean {
    return this.injectors.size > 0;
  }

  get active(): boolean {
    return this.on && this.configured;
  }

  /** The engine's injector for a disk, or undefined when the disk has no rules (no wrapper at all then). */
  injectorFor(diskId: string): FaultInjector | undefined {
    return this.injectors.get(diskId)?.injector;
  }

  /** Rules configured for a disk and switched on now. */
  ruleCount(diskId: string): number {
    return this.on ? (this.injectors.get(diskId)?.rules.length ?? 0) : 0;
  }

  /** Faults injected on a disk since start (one per rule that fired on an operation). */
  injections(diskId: string): number {
    return this.injectors.get(diskId)?.injector.fired ?? 0;
  }

  /** Per disk id, the rules as configured: for the start-up warning. */
  summary(): Record<string, FaultRule[]> {
    return Object.fromEntries([...this.injectors].map(([id, e]) => [id, e.rules]));
  }

  setActive(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    for (const { injector, rules } of this.injectors.values()) {
      injector.clear();
      if (on) for (const r of rules) injector.add(r);
    }
  }
}

/** The signal that switches a node's injected faults off and on (tests compare with and without a straggler). */
export const FAULT_TOGGLE_SIGNAL = 'SIGUSR2';

/**
 * Switches `faults` on FAULT_TOGGLE_SIGNAL; returns the function that stops
 * listening. Installed even on a node without faults, because the signal's
 * default action would kill the process.
 */
export function listenForFaultToggle(faults: DiskFaults, log: Logger): () => void {
  const toggle = (): void => {
    if (!faults.configured) {
      log.warn(`${FAULT_TOGGLE_SIGNAL} ignored: no injected disk faults are configured`);
      return;
    }
    faults.setActive(!faults.active);
    log.warn({ active: faults.active }, `injected disk faults switched ${faults.active ? 'on' : 'off'}`);
  };
  process.on(FAULT_TOGGLE_SIGNAL, toggle);
  return () => {
    process.off(FAULT_TOGGLE_SIGNAL, toggle);
  };
}
