import { describe, expect, it } from 'vitest';
import { RECENT_PER_DISK, ShardTable } from './shard-table.js';

function live(table: ShardTable, d: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  table.forEachOn(d, (part, index) => {
    out.push([part, index]);
    return true;
  });
  return out;
}

describe('ShardTable', () => {
  it('lists each disk’s live shards oldest first, skipping shards that moved away', () => {
    const table = new ShardTable(3, 6, 1);
    for (let p = 0; p < 3000; p++) table.add([p % 6, (p + 1) % 6, (p + 2) % 6], 2, 100 + p, p, 1);
    expect(table.count).toBe(3000);
    expect(table.shardBytes[2999]).toBe(3099);
    expect(live(table, 0).slice(0, 3)).toEqual([
      [0, 0],
      [4, 2],
      [5, 1],
    ]);
    // Move part 0's shard 0 from disk 0 to disk 5: gone from 0, newest on 5.
    table.move(0, 0, 5);
    expect(table.diskOf(0, 0)).toBe(5);
    expect(live(table, 0)[0]).toEqual([4, 2]);
    const on5 = live(table, 5);
    expect(on5[on5.length - 1]).toEqual([0, 0]);
    expect(live(table, 0)).toHaveLength(1499);
    expect(on5).toHaveLength(1501);
    const others = table.othersOf(0, 1, new Int32Array(3));
    expect([...others]).toEqual([5, -1, 2]);
  });

  it('stops a walk when the callback says so', () => {
    const table = new ShardTable(2, 2, 4);
    for (let p = 0; p < 10; p++) table.add([0, 1], 1, 1, p, 1);
    let seen = 0;
    table.forEachOn(1, () => ++seen < 4);
    expect(seen).toBe(4);
  });

  it('lists a disk’s recent arrivals newest first, live ones only, at most RECENT_PER_DISK', () => {
    const table = new ShardTable(2, 3, 4);
    for (let p = 0; p < RECENT_PER_DISK + 10; p++) table.add([0, 1], 1, 1, p, 1);
    const recent: Array<[number, number]> = [];
    table.forEachRecentOn(0, (part, index) => {
      recent.push([part, index]);
      return true;
    });
    expect(recent).toHaveLength(RECENT_PER_DISK);
    expect(recent[0]).toEqual([RECENT_PER_DISK + 9, 0]);
    expect(recent[RECENT_PER_DISK - 1]).toEqual([10, 0]);
    // The newest part's shard 0 moves to disk 2: gone from 0's recent list, newest on 2.
    table.move(RECENT_PER_DISK + 9, 0, 2);
    const after: number[] = [];
    table.forEachRecentOn(0, (part) => after.push(part) < 3);
    expect(after).toEqual([RECENT_PER_DISK + 8, RECENT_PER_DISK + 7, RECENT_PER_DISK + 6]);
    const on2: Array<[number, number]> = [];
    table.forEachRecentOn(2, (part, index) => on2.push([part, index]) > 0);
    expect(on2).toEqual([[RECENT_PER_DISK + 9, 0]]);
  });

  it('gives data shards the reads and lets a part shift them, a move carrying the share along', () => {
    const table = new ShardTable(3, 4, 2);
    table.add([0, 1, 2], 2, 1, 0, 1);
    expect([0, 1, 2].map((i) => table.shareOf(0, i))).toEqual([1, 1, 0]);
    table.shiftShare(0, 1, 2, 0.25);
    table.move(0, 1, 3);
    expect([0, 1, 2].map((i) => table.shareOf(0, i))).toEqual([1, 0.75, 0.25]);
    expect(table.diskOf(0, 1)).toBe(3);
  });
});
