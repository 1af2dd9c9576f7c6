// Erasure-coding throughput on this machine: encode and reconstruct for each
// implementation at 5+4 with 1 MiB blocks, plus MD5 (the PUT path's other
// per-byte CPU cost) for scale. Run: node --import tsx libs/erasure/scripts/bench.ts [--json] [--seconds N]
//
// Figures are per core: one operation in flight at a time, bytes counted are
// data bytes (k × block) per operation, divided by the wall time of the
// loop (the thread-pool implementations run on one pool thread meanwhile).
// "blocks loop" is how long one call keeps the event loop busy before it returns.
import { createHash, randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  RS_CAUCHY_GF256,
  RS_GF256_RONOMON,
  StripePool,
  openCodec,
  type OpenCodecOptions,
  type StripeCodec,
} from '../src/index.js';

const K = 5;
const M = 4;
// 1 MiB blocks: the cluster default block size.
const BLOCK_BYTES = 1024 * 1024;
const args = process.argv.slice(2);
const JSON_OUTPUT = args.includes('--json');
const secondsArg = args.indexOf('--seconds');
// Wall time per measurement: long enough for a stable median on a noisy 2-core VM, short enough to be polite.
const SECONDS_PER_CASE = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 1;

interface Row {
  name: string;
  gbPerSecond: number;
  operations: number;
  blockLoopMsMedian: number;
  blockLoopMsP99: number;
  blockLoopMsMax: number;
}

async function measure(
  name: string,
  op: () => Promise<void> | void,
  bytesPerOp: number,
  seconds = SECONDS_PER_CASE,
): Promise<Row> {
  for (let i = 0; i < 3; i++) await op(); // warm-up: tables, page faults, JIT
  const blocks: number[] = [];
  let ops = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const pending = op();
    blocks.push(performance.now() - t0);
    await pending;
    ops++;
  }
  const elapsed = (performance.now() - start) / 1000;
  blocks.sort((a, b) => a - b);
  return {
    name,
    gbPerSecond: (ops * bytesPerOp) / elapsed / 1e9,
    operations: ops,
    blockLoopMsMedian: blocks[Math.floor(blocks.length / 2)]!,
    blockLoopMsP99: blocks[Math.floor(blocks.length * 0.99)]!,
    blockLoopMsMax: blocks[blocks.length - 1]!,
  };
}

async function benchCodec(label: string, codec: StripeCodec, seconds?: number): Promise<Row[]> {
  const pool = new StripePool({ k: K, m: M, shardSize: BLOCK_BYTES, maxIdle: 1 });
  const stripe = pool.acquire();
  randomFillSync(stripe.data);
  await codec.encode(stripe.shards);
  const dataBytes = K * BLOCK_BYTES;
  const all = Array.from({ length: K + M }, (_, i) => i);
  // Worst case: four data shards lost, rebuilt from one data and four parity shards.
  const lostFour = [0, 1, 2, 3];
  const presentAfterFour = all.filter((i) => !lostFour.includes(i));
  // Common case on a read: one data shard slow or failed.
  const presentAfterOne = all.filter((i) => i !== 2);
  const rows = [
    await measure(`${label} encode`, () => codec.encode(stripe.shards), dataBytes, seconds),
    await measure(
      `${label} reconstruct 1 data`,
      () => codec.reconstruct(stripe.shards, presentAfterOne, [2]).then(() => undefined),
      dataBytes,
      seconds,
    ),
    await measure(
      `${label} reconstruct 4 data`,
      () => codec.reconstruct(stripe.shards, presentAfterFour, lostFour).then(() => undefined),
      dataBytes,
      seconds,
    ),
  ];
  pool.release(stripe);
  return rows;
}

function tryOpen(id: string, options: OpenCodecOptions): StripeCodec | string {
  try {
    return openCodec(id, K, M, options);
  } catch (err) {
    return (err as Error).message;
  }
}

const rows: Row[] = [];
const skipped: string[] = [];
const cases: Array<[string, string, OpenCodecOptions, number?]> = [
  ['isal (sync)', RS_CAUCHY_GF256, { implementation: 'isal', isalOffloadThresholdBytes: Number.MAX_SAFE_INTEGER }],
  ['isal (thread pool)', RS_CAUCHY_GF256, { implementation: 'isal', isalOffloadThresholdBytes: 0 }],
  ['ronomon', RS_GF256_RONOMON, { implementation: 'ronomon' }],
  // The fallback kernel is slow: a short run is enough to place it.
  ['js', RS_CAUCHY_GF256, { implementation: 'js' }, Math.min(SECONDS_PER_CASE, 0.5)],
];
for (const [label, id, options, seconds] of cases) {
  const codec = tryOpen(id, options);
  if (typeof codec === 'string') skipped.push(`${label}: ${codec}`);
  else rows.push(...(await benchCodec(label, codec, seconds)));
}

const md5Input = Buffer.allocUnsafeSlow(K * BLOCK_BYTES);
randomFillSync(md5Input);
rows.push(await measure('md5 (node:crypto)', () => void createHash('md5').update(md5Input).digest(), md5Input.length));

if (JSON_OUTPUT) {
  console.log(JSON.stringify({ k: K, m: M, blockBytes: BLOCK_BYTES, rows, skipped }, null, 2));
} else {
  console.log(`erasure ${K}+${M}, ${BLOCK_BYTES / 1024} KiB blocks, GB/s of data per core (10^9 B/s)`);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(38)} ${r.gbPerSecond.toFixed(2).padStart(7)} GB/s  ops ${String(r.operations).padStart(5)}  ` +
        `blocks loop ms: median ${r.blockLoopMsMedian.toFixed(3)} p99 ${r.blockLoopMsP99.toFixed(3)} max ${r.blockLoopMsMax.toFixed(2)}`,
    );
  for (const s of skipped) console.log(`skipped ${s}`);
}
