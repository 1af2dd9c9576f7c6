// The process that gets killed: opens a store, then writes and deletes shards
// from several concurrent writers (and compacts) until SIGKILL, printing one
// line per event on stdout — `A <id>` once a put is acknowledged, `d <id>`
// when a delete is issued, `D <id>` once it is acknowledged.
// Usage: node --import tsx crash-child.ts <dir> <run-tag> <seed>
import { ShardStore } from '../shard-store.js';
import { CRASH_BLOCK_BYTES, CRASH_CLUSTER_ID, CRASH_EXTENT_BYTES, crashShardBytes } from './crash-workload.js';

/** Concurrent writers: enough for group commits of several puts. */
const WRITERS = 8;
const COMPACT_EVERY_MS = 150;

const [dir, tag, seedArg] = process.argv.slice(2);
if (!dir || !tag) {
  console.error('usage: crash-child <dir> <run-tag> <seed>');
  process.exit(2);
}
let x = Number(seedArg ?? 1) >>> 0 || 1;
const random = (): number => {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  return x / 2 ** 32;
};

const store = await ShardStore.open({
  dir,
  clusterId: CRASH_CLUSTER_ID,
  blockSizeBytes: CRASH_BLOCK_BYTES,
  extentSizeBytes: CRASH_EXTENT_BYTES,
  reserveFreeBytes: 0,
  compaction: { liveRatio: 0.5 },
});
const pool: string[] = [];
for (let after: string | undefined, i = 0; i < 1000; i++) {
  const page = await store.list(after === undefined ? { limit: 1000 } : { after, limit: 1000 });
  pool.push(...page.shards.map((s) => s.shardId));
  if (page.nextAfter === undefined) break;
  after = page.nextAfter;
}
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
say(`READY ${pool.length}`);

let n = 0;
async function writer(w: number): Promise<never> {
  for (;;) {
    // Deletes outpace puts once the disk holds a few hundred shards, so that
    // long crash loops stay at a steady size.
    const deleteChance = pool.length > 200 ? 0.6 : pool.length > 40 ? 0.35 : 0;
    if (random() < deleteChance) {
      const id = pool.splice(Math.floor(random() * pool.length), 1)[0]!;
      say(`d ${id}`);
      await store.delete(id);
      say(`D ${id}`);
    } else {
      const id = `${tag}-${w}-${n++}`;
      await store.put(id, crashShardBytes(id));
      say(`A ${id}`);
      pool.push(id);
    }
  }
}
setInterval(() => void store.compact().catch(() => undefined), COMPACT_EVERY_MS);
await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
