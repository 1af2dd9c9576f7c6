import { mkdtemp, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeDiskIo } from './node-disk-io.js';

const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('NodeDiskIo', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'node-disk-io-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes durably through a second descriptor, seen by the first, and closes both', async () => {
    const io = new NodeDiskIo();
    const before = await openDescriptors();
    const f = await io.open(path.join(dir, 'a'), 'create');
    await f.write(Buffer.from('head'), 0, 4, 0);
    await f.writeDurable(Buffer.from('xxtailxx'), 2, 4, 4);
    const back = Buffer.alloc(8);
    expect(await f.read(back, 0, 8, 0)).toBe(8);
    expect(back.toString()).toBe('headtail');
    expect(await openDescriptors()).toBe(before + 2);
    await f.close();
    expect(await openDescriptors()).toBe(before);
  });
});
