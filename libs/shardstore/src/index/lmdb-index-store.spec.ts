import * as fc from 'fast-check';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.js';
import type { IndexOp } from './index-store.js';
import { LmdbIndexStore } from './lmdb-index-store.js';

// The LMDB index with its commit thread: a commit made by the worker is
// visible to this thread's very next read, and durable across a reopen.

let tmp: { dir: string; remove: () => Promise<void> };
const open: LmdbIndexStore[] = [];

function openIndex(): LmdbIndexStore {
  const idx = LmdbIndexStore.open({ path: tmp.dir, mapSizeBytes: 2 ** 26 });
  open.push(idx);
  return idx;
}

async function onThread(idx: LmdbIndexStore): Promise<void> {
  for (let i = 0; i < 500 && !idx.committingOnThread; i++) await new Promise((r) => setTimeout(r, 10));
  expect(idx.committingOnThread).toBe(true);
}

const text = (v: Uint8Array | undefined): string | undefined => (v ? Buffer.from(v).toString('utf8') : undefined);

beforeEach(async () => {
  tmp = await makeTempDir('lmdb-index-spec');
});
afterEach(async () => {
  for (const idx of open.splice(0)) await idx.close().catch(() => undefined);
  await tmp.remove();
});

describe('LmdbIndexStore with its commit thread', () => {
  it('shows a commit to the next read on this thread, even while reads kept renewing the snapshot', async () => {
    const idx = openIndex();
    await onThread(idx);
    for (let round = 0; round < 20; round++) {
      const key = `k${round}`;
      // Reads every turn while the worker commits: this thread's snapshot is
      // always fresh from before the commit when the answer arrives.
      let reading = true;
      const reader = (async () => {
        while (reading) {
          idx.get('shards', key); // may or may not see it yet: the worker's commit lands before its answer
          await turn();
        }
      })();
      const committed = idx.commit([{ table: 'shards', key, value: Buffer.from(`v${round}`) }]);
      await committed;
      const seen = text(idx.get('shards', key));
      reading = false;
      await reader;
      expect(seen).toBe(`v${round}`);
    }
  });

  it('applies puts and deletes across tables as the same transaction would, durably', async () => {
    const tables = ['shards', 'extents', 'locations', 'meta'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            table: fc.constantFrom(...tables),
            key: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
            value: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
          }),
          { maxLength: 30 },
        ),
        async (ops) => {
          const idx = openIndex();
          await onThread(idx);
          for (const t of tables) {
            const old = idx.range(t, {}).map(([key]): IndexOp => ({ table: t, key, value: null }));
            await idx.commit(old);
          }
          await idx.commit(ops as IndexOp[]);
          const model = new Map<string, Uint8Array | null>();
          for (const op of ops) model.set(JSON.stringify([op.table, op.key]), op.value);
          const check = (i: LmdbIndexStore): void => {
            for (const [tk, v] of model) {
              const [table, key] = JSON.parse(tk) as [IndexOp['table'], string];
              const got = i.get(table, key);
              expect(got ? Buffer.from(got) : null).toEqual(v === null ? null : Buffer.from(v));
            }
            const live = [...model.values()].filter((v) => v !== null).length;
            expect(tables.reduce((n, t) => n + i.range(t, {}).length, 0)).toBe(live);
          };
          check(idx);
          await idx.close();
          open.splice(open.indexOf(idx), 1);
          const again = openIndex();
          check(again);
          await again.close();
          open.splice(open.indexOf(again), 1);
        },
      ),
      { numRuns: 15 },
    );
  });
});
