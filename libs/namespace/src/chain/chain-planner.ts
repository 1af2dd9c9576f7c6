import type { ChainRecord } from '@platter/cluster';

/** Replicas per chain (the architecture's 3): survives one loss with a middle to spare. */
export const DEFAULT_REPLICATION_FACTOR = 3;

/**
 * The first configuration of every partition: chain p takes `factor`
 * consecutive members (sorted by id) starting at p, so heads, middles and
 * tails spread evenly and each member hosts about factor × partitions / n.
 */
export function initialChains(
  partitions: number,
  members: readonly string[],
  factor: number,
  now: string,
): ChainRecord[] {
  const sorted = [...members].sort();
  if (sorted.length === 0) throw new RangeError('no members to place chains on');
  const width = Math.min(factor, sorted.length);
  const out: ChainRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    const replicas: string[] = [];
    for (let i = 0; i < width; i++) replicas.push(sorted[(p + i) % sorted.length] as string);
    out.push({ partition: p, epoch: 1, replicas, joining: [], updatedAt: now });
  }
  return out;
}

/** How many chains (as replica or joiner) each member is in: the load a new joiner is chosen by. */
export function chainLoad(records: readonly ChainRecord[]): Map<string, number> {
  const load = new Map<string, number>();
  for (const r of records) for (const id of [...r.replicas, ...r.joining]) load.set(id, (load.get(id) ?? 0) + 1);
  return load;
}

/**
 * The next configuration of one chain given who is alive, or undefined when
 * nothing changes: dead replicas and joiners leave (never the last replica —
 * a chain with no live member waits for one to come back, its data is there),
 * and while the chain is short a live member not in it is added to `joining`
 * (the least loaded one). Every change bumps the epoch.
 */
export function planRepair(
  record: ChainRecord,
  live: ReadonlySet<string>,
  factor: number,
  load: ReadonlyMap<string, number>,
  now: string,
): ChainRecord | undefined {
  let replicas = record.replicas.filter((id) => live.has(id));
  if (replicas.length === 0) replicas = [...record.replicas];
  const joining = record.joining.filter((id) => live.has(id));
  if (replicas.length + joining.length < factor) {
    const candidates = [...live]
      .filter((id) => !replicas.includes(id) && !joining.includes(id))
      .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
    const pick = candidates[0];
    if (pick !== undefined) joining.push(pick);
  }
  const same =
    replicas.length === record.replicas.length &&
    replicas.every((id, i) => id === record.replicas[i]) &&
    joining.length === record.joining.length &&
    joining.every((id, i) => id === record.joining[i]);
  if (same) return undefined;
  return { partition: record.partition, epoch: record.epoch + 1, replicas, joining, updatedAt: now };
}

/** A joiner whose state transfer is done becomes the new tail, in a new epoch. */
export function planPromotion(record: ChainRecord, joiner: string, now: string): ChainRecord | undefined {
  if (!record.joining.includes(joiner)) return undefined;
  return {
    partition: record.partition,
    epoch: record.epoch + 1,
    replicas: [...record.replicas, joiner],
    joining: record.joining.filter((id) => id !== joiner),
    updatedAt: now,
  };
}
