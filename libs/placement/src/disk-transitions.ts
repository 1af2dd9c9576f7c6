import type { DiskState } from './disk-snapshot.js';

/**
 * The disk lifecycle of common.proto's DiskState, as a table: JOINING →
 * ACTIVE; ACTIVE ⇄ DRAINING; JOINING/ACTIVE/DRAINING → FAILED; FAILED →
 * ACTIVE (an operator brings it back); DRAINING (once empty) or FAILED → RETIRED,
 * which is final. Pure: the service checks a requested change against it
 * before writing etcd.
 */
const ALLOWED: Readonly<Record<DiskState, readonly DiskState[]>> = {
  joining: ['active', 'failed'],
  active: ['draining', 'failed'],
  draining: ['active', 'failed', 'retired'],
  failed: ['active', 'retired'],
  retired: [],
};

/** Whether `from → to` is a transition of the lifecycle (a state to itself is not: it is a no-op). */
export function isAllowedTransition(from: DiskState, to: DiskState): boolean {
  return ALLOWED[from].includes(to);
}

/** What a state change needs besides the table: a drained disk must be empty before it retires. */
export function needsEmptyDisk(from: DiskState, to: DiskState): boolean {
  return from === 'draining' && to === 'retired';
}
