// Store-level benchmark of one namespace partition (no gRPC, no chain):
//   node --import tsx libs/namespace/scripts/bench-store.ts [--keys 1000000] [--seconds 5] [--writers 64] [--dir D] [--overlapping-sync]
// 1. conditional commits/s: `writers` clients each PUT If-None-Match: * on
//    fresh keys with a 5+4 striped layout, group-committed (one LMDB
//    transaction and one flush per batch);
// 2. lookups/s: GetObject of random existing keys, one client;
// 3. the latency of a 1,000-key ListObjects page at random positions in a
//    bucket of `keys` keys.
// Uses a fresh directory under the OS temp dir (or --dir) and removes it.
import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { parseArgs } from 'node:util';
import { NamespaceError } from '../src/errors.js';
import { PartitionStateMachine } from '../src/state/partition-state-machine.js';
import { PartitionStore } from '../src/store/partition-store.js';
import { createBucketOp, md5Hex, putObjectOp, shardIdOf, stripedLayout } from '../src/testing/requests.js';
import { makeTempDir } from '../src/testing/temp-dir.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '5' },
    writers: { type: 'string', default: '64' },
    dir: { type: 'string' },
    'overlapping-sync': { type: 'boolean', default: false },
    'ordered-shard-ids': { type: 'boolean', default: false },
  },
});
const KEYS = Number(args.keys);
const SECONDS = Number(args.seconds);
const WRITERS = Number(args.writers);
// Requests per transaction while bulk-loading the listing bucket.
const LOAD_BATCH = 5000;
// Prepared PutObject requests for the commit test (it stops early when they run out).
const COMMIT_POOL = 40_000;
// Pages measured for the listing latency.
const LIST_PAGES = 300;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

/**
 * A 5+4 layout: nine shards on nine of 48 disks, as the frontend commits it.
 * Shard ids are random (as minted today) or, with --ordered-shard-ids,
 * time-ordered (a monotonic prefix, then random bits).
 */
function layoutFor(n: number) {
  const shardId = (i: number): string =>
    args['ordered-shard-ids']
      ? `${(n * 9 + i).toString(16).padStart(12, '0')}${shardIdOf(n * 9 + i).slice(12)}`
      : shardIdOf(n * 9 + i);
  return stripedLayout(
    4096n,
    Array.from({ length: 9 }, (_, i) => ({ diskId: `disk-${(n + i) % 48}`, shardId: shardId(i), shardIndex: i })),
    9,
  );
}

const tmp = args.dir ? { dir: args.dir, remove: async () => undefined } : await makeTempDir('ns-bench');
const store = PartitionStore.open({ path: tmp.dir, overlappingSync: args['overlapping-sync'] });
const sm = new PartitionStateMachine({ store, maxBatch: 1024 });
console.log(
  `namespace store bench: dir ${tmp.dir}, overlappingSync ${args['overlapping-sync']}, node ${process.version}`,
);

try {
  await sm.execute(createBucketOp('bench-commits'));
  await sm.execute(createBucketOp('bench-list'));

  // ------------------------------------------------------------ 1. commits
  {
    // Requests are built before the clock starts: the service gets them
    // decoded from the wire, and building nine shard locations per request
    // here would be measured as the store's time.
    const pool = Array.from({ length: COMMIT_POOL }, (_, n) =>
      putObjectOp({
        bucket: 'bench-commits',
        key: `writer-${n % WRITERS}/object-${n}`,
        etag: md5Hex(`${n}`),
        size: 4096n,
        layout: layoutFor(n),
        condition: { kind: 'ifNoneMatch' },
      }),
    );
    const latencies: number[] = [];
    const before = sm.commitStats();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    let committed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (performance.now() < deadline && next < pool.length) {
          const request = pool[next++];
          if (request === undefined) break;
          const t0 = performance.now();
          const r = await sm.execute(request);
          if (r instanceof NamespaceError) throw r;
          latencies.push(performance.now() - t0);
          committed++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const after = sm.commitStats();
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    const batches = after.batches - before.batches;
    console.log(
      `conditional commits: ${Math.round(committed / elapsed)}/s with ${WRITERS} writers ` +
        `(p50 ${fmt(quantile(latencies, 0.5))}, p99 ${fmt(quantile(latencies, 0.99))}, ` +
        `mean batch ${((after.items - before.items) / batches).toFixed(1)}, ${Math.round(batches / elapsed)} flushes/s, ` +
        `${((cpu.user + cpu.system) / committed).toFixed(0)} µs process CPU per commit, ` +
        `${(((after.transactionMs - before.transactionMs) * 1000) / (after.items - before.items)).toFixed(0)} µs wall per commit inside transactions)`,
    );
  }

  // ------------------------------------------------------------ load
  {
    const t0 = performance.now();
    const keyOf = (i: number): string => `logs/${String(i % 1000).padStart(3, '0')}/${String(i).padStart(8, '0')}.json`;
    for (let start = 0; start < KEYS; start += LOAD_BATCH) {
      const chunk: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(KEYS, start + LOAD_BATCH); i++) {
        chunk.push(sm.execute(putObjectOp({ bucket: 'bench-list', key: keyOf(i), body: `{"n":${i}}` })));
      }
      for (const r of await Promise.all(chunk)) if (r instanceof NamespaceError) throw r;
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `loaded ${KEYS} keys in ${seconds.toFixed(1)} s (${Math.round(KEYS / seconds)}/s, inline 10-byte bodies)`,
    );

    // ---------------------------------------------------------- 2. lookups
    const lookups: number[] = [];
    const lookupCpu = process.cpuUsage();
    const deadline = performance.now() + SECONDS * 1000;
    let done = 0;
    let x = 1;
    while (performance.now() < deadline) {
      for (let j = 0; j < 1000; j++) {
        x = (x * 48271) % 2147483647;
        const t = performance.now();
        const r = sm.getObject(
          create(namespaceV1.GetObjectRequestSchema, { bucket: 'bench-list', key: keyOf(x % KEYS) }),
        );
        if (r instanceof NamespaceError) throw r;
        lookups.push(performance.now() - t);
        done++;
      }
    }
    lookups.sort((a, b) => a - b);
    const used = process.cpuUsage(lookupCpu);
    console.log(
      `lookups: ${Math.round(done / SECONDS)}/s, one client (p50 ${fmt(quantile(lookups, 0.5))}, p99 ${fmt(quantile(lookups, 0.99))}, ` +
        `${((used.user + used.system) / done).toFixed(1)} µs CPU each)`,
    );

    // ---------------------------------------------------------- 3. list pages
    for (const delimiter of ['', '/']) {
      const pages: number[] = [];
      const pageCpu: number[] = [];
      for (let p = 0; p < LIST_PAGES; p++) {
        x = (x * 48271) % 2147483647;
        const startAfter = delimiter === '' ? keyOf(x % KEYS) : '';
        const prefix = delimiter === '' ? '' : `logs/${String(x % 1000).padStart(3, '0')}/`;
        const t = performance.now();
        const c = process.cpuUsage();
        const r = sm.listObjects(
          create(namespaceV1.ListObjectsRequestSchema, {
            bucket: 'bench-list',
            prefix,
            delimiter,
            startAfter,
            maxKeys: 1000,
          }),
        );
        if (r instanceof NamespaceError) throw r;
        const used = process.cpuUsage(c);
        pageCpu.push((used.user + used.system) / 1000);
        pages.push(performance.now() - t);
        if (r.objects.length + r.commonPrefixes.length < Math.min(1000, KEYS / 1000 - 1) && delimiter === '/') {
          throw new Error(`short page: ${r.objects.length}`);
        }
      }
      pages.sort((a, b) => a - b);
      pageCpu.sort((a, b) => a - b);
      const what = delimiter === '' ? '1,000-key page at a random start-after' : `prefix page of ~${KEYS / 1000} keys`;
      console.log(
        `list ${what}: p50 ${fmt(quantile(pages, 0.5))}, p99 ${fmt(quantile(pages, 0.99))} ` +
          `(CPU p50 ${fmt(quantile(pageCpu, 0.5))}, p99 ${fmt(quantile(pageCpu, 0.99))})`,
      );
    }
  }
} finally {
  await store.close();
  await tmp.remove();
}
