// Long crash loop: SIGKILL a writing ShardStore process N times, checking
// after each restart that every acknowledged shard and delete survived and
// nothing partial is served.
//   node --import tsx libs/shardstore/scripts/crash-loop.ts [iterations=500] [seed]
// Uses a fresh directory under the OS temp dir and removes it afterwards
// (kept on failure, for a post-mortem).
import { runCrashIterations } from '../src/testing/crash-harness.js';
import { makeTempDir } from '../src/testing/temp-dir.js';

const iterations = Number(process.argv[2] ?? 500);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(iterations) || iterations < 1) {
  console.error('usage: crash-loop.ts [iterations] [seed]');
  process.exit(2);
}
const tmp = await makeTempDir('shardstore-crash-loop');
console.log(`crash loop: ${iterations} iterations, seed ${seed}, dir ${tmp.dir}`);
const t0 = performance.now();
let acked = 0;
let deletes = 0;
let truncated = 0;
let torn = 0;
let unacked = 0;
let replayed = 0;
let replayedRestarts = 0;
try {
  await runCrashIterations({
    dir: tmp.dir,
    iterations,
    seed,
    onIteration: (r) => {
      acked += r.ackedPuts;
      deletes += r.ackedDeletes;
      unacked += r.unackedSurvivors;
      replayed += r.recovery.recordsReplayed;
      if (r.recovery.recordsReplayed > 0) replayedRestarts++;
      if (r.recovery.tailBytesTruncated > 0) truncated++;
      if (r.recovery.tornRecordsDropped > 0) torn++;
      if ((r.iteration + 1) % 25 === 0 || r.iteration + 1 === iterations) {
        console.log(
          `${r.iteration + 1}/${iterations}: acked puts ${acked}, acked deletes ${deletes}, live now ${r.liveShards}, ` +
            `restarts with a tail cut ${truncated} (torn record ${torn}), restarts that replayed the log ${replayedRestarts} ` +
            `(${replayed} records), unacknowledged survivors ${unacked}, ${Math.round((performance.now() - t0) / 1000)} s`,
        );
      }
    },
  });
  console.log('crash loop passed');
  await tmp.remove();
} catch (err) {
  console.error(`crash loop FAILED (data kept in ${tmp.dir}):`, err);
  process.exit(1);
}
