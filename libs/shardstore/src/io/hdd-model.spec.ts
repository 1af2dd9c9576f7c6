import { describe, expect, it } from 'vitest';
import { MemoryIndexDisk } from '../index/memory-index-store.js';
import { ShardStore } from '../shard-store.js';
import { HddModelIo } from './hdd-model.js';
import { SimDiskIo } from './sim-disk-io.js';

const GiB = 2 ** 30;

async function sampleFile(): Promise<{ hdd: HddModelIo; file: Awaited<ReturnType<HddModelIo['open']>> }> {
  const sim = new SimDiskIo();
  await sim.mkdir('/d');
  // Random positions over the whole modelled disk: the worst case an HDD sees.
  const hdd = new HddModelIo(sim, { capacityBytes: GiB, seed: 3 });
  return { hdd, file: await hdd.open('/d/f', 'create') };
}

describe('HddModelIo', () => {
  it('serves random 4 KiB reads at about 120 IOPS', async () => {
    const { hdd, file } = await sampleFile();
    const buf = Buffer.alloc(4096);
    let x = 17;
    const n = 40;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      await file.read(buf, 0, 4096, Math.floor((x / 2 ** 32) * GiB));
    }
    const iops = n / ((performance.now() - t0) / 1000);
    expect(iops).toBeGreaterThan(80);
    expect(iops).toBeLessThan(160);
    expect(hdd.stats.seeks).toBeGreaterThanOrEqual(n - 1);
  });

  it('streams sequential I/O at the transfer rate, without seeks', async () => {
    const { hdd, file } = await sampleFile();
    const buf = Buffer.alloc(2 ** 20);
    await file.read(buf, 0, buf.length, 0);
    const seeks = hdd.stats.seeks;
    const t0 = performance.now();
    for (let i = 1; i <= 9; i++) await file.read(buf, 0, buf.length, i * buf.length);
    const mbps = (9 * buf.length) / 1e6 / ((performance.now() - t0) / 1000);
    expect(hdd.stats.seeks).toBe(seeks);
    expect(mbps).toBeGreaterThan(100);
    expect(mbps).toBeLessThan(200);
  });

  it('queues concurrent requests in one FIFO and reports the depth', async () => {
    const { hdd, file } = await sampleFile();
    const buf = Buffer.alloc(4096);
    let peak = 0;
    const all = Array.from({ length: 12 }, (_, i) =>
      file.read(Buffer.alloc(4096), 0, 4096, ((i * 7919) % 1000) * 2 ** 20),
    );
    await new Promise((r) => setTimeout(r, 1));
    peak = hdd.stats.queueDepth;
    const t0 = performance.now();
    await Promise.all(all);
    expect(peak).toBeGreaterThan(8);
    // Twelve random I/Os back to back take about 12 × 8 ms.
    expect(performance.now() - t0).toBeGreaterThan(50);
    expect(hdd.stats.queueDepth).toBe(0);
    await file.read(buf, 0, 4096, 0);
  });

  it('sits in front of a ShardStore and shows in its stats', async () => {
    const store = await ShardStore.open({
      dir: '/disk',
      clusterId: 'c',
      io: new SimDiskIo(),
      index: new MemoryIndexDisk().open(),
      blockSizeBytes: 4096,
      reserveFreeBytes: 0,
      hdd: { seed: 1 },
    });
    await store.put('a', Buffer.alloc(10_000, 1));
    expect(await store.get('a')).toEqual(Buffer.alloc(10_000, 1));
    const s = await store.stats();
    expect(s.hdd?.operations).toBeGreaterThan(2);
    await store.close();
  });
});
