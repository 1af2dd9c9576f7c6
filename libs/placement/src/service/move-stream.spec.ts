import { describe, expect, it } from 'vitest';
import { decodeMoveTask, encodeMoveTask, moveStreamKey, type MoveTask } from './move-stream.js';

const task: MoveTask = {
  taskId: 'abcd1234abcd1234',
  sourceDiskId: 'host-a1-d1',
  reason: 'drain',
  bytes: 123_456_789,
  leaderEpoch: '17',
  plannedAt: '2026-11-24T00:00:00.000Z',
  sourceFill: 0.5,
  meanFill: 0.25,
};

describe('move stream', () => {
  it('has one key name under the key prefix', () => {
    expect(moveStreamKey()).toBe('platter:rebalance:moves');
    expect(moveStreamKey('c2:')).toBe('c2:rebalance:moves');
    expect(() => moveStreamKey('bad prefix')).toThrow();
  });

  it('round-trips a task through stream fields', () => {
    const fields = encodeMoveTask(task);
    expect(fields.slice(0, 2)).toEqual(['v', '1']);
    expect(decodeMoveTask(fields)).toEqual(task);
  });

  it('refuses another version and malformed entries instead of guessing', () => {
    const fields = encodeMoveTask(task);
    expect(decodeMoveTask(['v', '2', ...fields.slice(2)])).toBeUndefined();
    const noBytes = [...fields];
    noBytes[noBytes.indexOf('bytes') + 1] = '0';
    expect(decodeMoveTask(noBytes)).toBeUndefined();
    const badReason = [...fields];
    badReason[badReason.indexOf('reason') + 1] = 'whim';
    expect(decodeMoveTask(badReason)).toBeUndefined();
  });
});
