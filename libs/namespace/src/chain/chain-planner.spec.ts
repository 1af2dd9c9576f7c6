import { describe, expect, it } from 'vitest';
import { chainPosition } from './chain-view.js';
import { chainLoad, initialChains, planPromotion, planRepair } from './chain-planner.js';
import { namespaceV1 } from '@platter/proto';

const NOW = '2026-11-24T00:00:00.000Z';
const ROLE = namespaceV1.ReplicaRole;

describe('chain planning', () => {
  it('spreads initial chains: every partition gets 3 distinct members, heads and tails rotate', () => {
    const chains = initialChains(6, ['n3', 'n1', 'n2', 'n4'], 3, NOW);
    expect(chains.map((c) => c.replicas)).toEqual([
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n4'],
      ['n3', 'n4', 'n1'],
      ['n4', 'n1', 'n2'],
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n4'],
    ]);
    expect(chains.every((c) => c.epoch === 1 && c.joining.length === 0)).toBe(true);
    const load = chainLoad(chains);
    expect([...load.values()].every((n) => n === 4 || n === 5)).toBe(true);
    // Fewer members than the factor: chains as long as there are members.
    expect(initialChains(2, ['solo'], 3, NOW).map((c) => c.replicas)).toEqual([['solo'], ['solo']]);
  });

  it('drops a dead member with a new epoch and adds the least-loaded live one as a joiner', () => {
    const chain = { partition: 0, epoch: 4, replicas: ['a', 'b', 'c'], joining: [], updatedAt: NOW };
    const load = new Map([
      ['d', 5],
      ['e', 1],
    ]);
    const next = planRepair(chain, new Set(['a', 'c', 'd', 'e']), 3, load, NOW);
    expect(next).toMatchObject({ epoch: 5, replicas: ['a', 'c'], joining: ['e'] });
    // Nothing changes while everyone is alive.
    expect(planRepair(chain, new Set(['a', 'b', 'c']), 3, load, NOW)).toBeUndefined();
    // A dead joiner leaves too; the head's death makes the middle the head.
    const next2 = planRepair({ ...chain, joining: ['x'] }, new Set(['b', 'c']), 3, new Map(), NOW);
    expect(next2).toMatchObject({ epoch: 5, replicas: ['b', 'c'], joining: [] });
    expect(chainPosition(next2!, 'b').role).toBe(ROLE.HEAD);
  });

  it('never empties a chain: with every replica gone it waits for one to return', () => {
    const chain = { partition: 1, epoch: 2, replicas: ['a'], joining: [], updatedAt: NOW };
    expect(planRepair(chain, new Set(), 3, new Map(), NOW)).toBeUndefined();
    expect(planRepair(chain, new Set(['z']), 3, new Map(), NOW)).toMatchObject({ replicas: ['a'], joining: ['z'] });
  });

  it('appends a joiner at the tail in a new epoch', () => {
    const chain = { partition: 0, epoch: 7, replicas: ['a', 'b'], joining: ['c'], updatedAt: NOW };
    expect(planPromotion(chain, 'c', NOW)).toMatchObject({ epoch: 8, replicas: ['a', 'b', 'c'], joining: [] });
    expect(planPromotion(chain, 'x', NOW)).toBeUndefined();
    const position = chainPosition({ ...chain, replicas: ['a', 'b', 'c'], joining: [] }, 'c');
    expect(position).toMatchObject({ role: ROLE.TAIL, predecessor: 'b', successor: undefined, epoch: 7n });
  });
});
