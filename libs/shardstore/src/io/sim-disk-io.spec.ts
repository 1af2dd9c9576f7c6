import { describe, expect, it } from 'vitest';
import type { IoFile } from './disk-io.js';
import { SimDiskIo } from './sim-disk-io.js';

async function text(io: SimDiskIo, path: string): Promise<string> {
  return Buffer.from(await io.readFile(path)).toString();
}

/** A fresh disk holding /d/a, an empty file whose name (and directory) are already durable. */
async function fileWithDurableName(): Promise<{ io: SimDiskIo; f: IoFile }> {
  const io = new SimDiskIo();
  await io.mkdir('/d');
  await io.syncDir('/');
  const f = await io.open('/d/a', 'create');
  await io.syncDir('/d');
  return { io, f };
}

describe('SimDiskIo', () => {
  it('keeps only fdatasync’d bytes and fsync’d names across a crash', async () => {
    const io = new SimDiskIo();
    await io.mkdir('/d');
    await io.syncDir('/');
    const f = await io.open('/d/a', 'create');
    await f.write(Buffer.from('hello'), 0, 5, 0);
    await f.datasync();
    await io.syncDir('/d');
    await f.write(Buffer.from(' world'), 0, 6, 5);
    const g = await io.open('/d/b', 'create');
    await g.write(Buffer.from('lost'), 0, 4, 0);
    await g.datasync(); // data synced, but its name never was
    io.crash();
    expect(await text(io, '/d/a')).toBe('hello');
    expect(await io.exists('/d/b')).toBe(false);
    await expect(f.read(Buffer.alloc(1), 0, 1, 0)).rejects.toMatchObject({ code: 'EIO' });
  });

  it('loses the writes of a failed fsync for good, like Linux', async () => {
    const { io, f } = await fileWithDurableName();
    await f.write(Buffer.from('data'), 0, 4, 0);
    io.failNext({ ops: ['sync'] });
    await expect(f.datasync()).rejects.toMatchObject({ code: 'EIO' });
    await f.datasync(); // "succeeds", but the bytes are not on the medium
    io.crash();
    expect((await io.readFile('/d/a')).length).toBe(0);
  });

  it('keeps a durable write across a crash, and only its own bytes', async () => {
    const { io, f } = await fileWithDurableName();
    await f.write(Buffer.from('lost'), 0, 4, 0);
    await f.writeDurable(Buffer.from('kept'), 0, 4, 4);
    io.crash();
    expect(await text(io, '/d/a')).toBe('\0\0\0\0kept');
  });

  it('fails a durable write whose flush fails, and loses it like a failed fsync', async () => {
    const { io, f } = await fileWithDurableName();
    io.failNext({ ops: ['sync'] });
    await expect(f.writeDurable(Buffer.from('data'), 0, 4, 0)).rejects.toMatchObject({ code: 'EIO' });
    // Still in the cache, as after a failed fsync; not on the medium.
    expect(await text(io, '/d/a')).toBe('data');
    io.crash();
    expect((await io.readFile('/d/a')).length).toBe(0);
  });

  it('fails a durable write when a concurrent fsync of its file fails and loses it', async () => {
    const { io, f } = await fileWithDurableName();
    const durable = f.writeDurable(Buffer.from('data'), 0, 4, 0);
    io.failNext({ ops: ['sync'] });
    const sync = f.datasync();
    await expect(sync).rejects.toMatchObject({ code: 'EIO' });
    await expect(durable).rejects.toMatchObject({ code: 'EIO' });
  });

  it('fills up: a write past capacity writes what fits and fails with ENOSPC', async () => {
    const io = new SimDiskIo({ capacityBytes: 10 });
    await io.mkdir('/d');
    const f = await io.open('/d/a', 'create');
    await expect(f.write(Buffer.alloc(16, 1), 0, 16, 0)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(io.usedBytes()).toBe(10);
    expect(await io.freeBytes('/d')).toBe(0);
  });

  it('makes a process view useless after a crash', async () => {
    const io = new SimDiskIo();
    const view = io.forProcess();
    await view.mkdir('/d');
    io.crash();
    await expect(view.readdir('/')).rejects.toMatchObject({ code: 'EIO' });
    await expect(io.forProcess().readdir('/')).resolves.toEqual([]);
  });
});
