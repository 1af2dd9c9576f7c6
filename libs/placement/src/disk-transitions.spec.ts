import { describe, expect, it } from 'vitest';
import { DISK_STATES } from './disk-snapshot.js';
import { isAllowedTransition, needsEmptyDisk } from './disk-transitions.js';

describe('disk transitions', () => {
  it('follows the lifecycle of common.proto and nothing else', () => {
    const allowed = DISK_STATES.flatMap((from) =>
      DISK_STATES.filter((to) => isAllowedTransition(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'joining>active',
        'joining>failed',
        'active>draining',
        'active>failed',
        'draining>active',
        'draining>failed',
        'draining>retired',
        'failed>active',
        'failed>retired',
      ].sort(),
    );
  });

  it('treats retired as final and a state to itself as no transition', () => {
    for (const s of DISK_STATES) {
      expect(isAllowedTransition('retired', s)).toBe(false);
      expect(isAllowedTransition(s, s)).toBe(false);
    }
  });

  it('asks for an empty disk only when a drain ends', () => {
    expect(needsEmptyDisk('draining', 'retired')).toBe(true);
    expect(needsEmptyDisk('failed', 'retired')).toBe(false);
    expect(needsEmptyDisk('active', 'failed')).toBe(false);
  });
});
