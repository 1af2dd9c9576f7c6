import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { binaryPath } from './binaries.js';
import { Cleanup } from './cleanup.js';
import { BinaryNotFoundError, CleanupError, WaitTimeoutError } from './errors.js';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

describe('Cleanup', () => {
  it('runs steps in reverse order, attempts every step and reports failures', async () => {
    const order: string[] = [];
    const cleanup = new Cleanup();
    cleanup.add(() => order.push('first'));
    cleanup.add(() => {
      order.push('second');
      throw new Error('boom');
    }, 'second');
    cleanup.add(async () => order.push('third'));
    const err = await cleanup.run().catch((e: unknown) => e);
    expect(order).toEqual(['third', 'second', 'first']);
    expect(err).toBeInstanceOf(CleanupError);
    expect((err as CleanupError).errors).toHaveLength(1);
    expect((err as Error).message).toContain('second: boom');
    // Steps are forgotten once run.
    expect(cleanup.size).toBe(0);
    await cleanup.run();
    expect(order).toHaveLength(3);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    const value = await waitFor('n to reach 3', () => (++n >= 3 ? { n } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ n: 3 });
  });

  it('times out with the description and the last error', async () => {
    const started = performance.now();
    const err = await waitFor(
      'the impossible',
      () => {
        throw new Error('not yet');
      },
      { timeoutMs: 100, intervalMs: 10 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(/timed out after 100 ms waiting for the impossible: last error: not yet/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('binaryPath and freePort', () => {
  it('finds installed servers', () => {
    expect(binaryPath('etcd')).toMatch(/\/etcd$/);
    expect(binaryPath('redis-server')).toMatch(/\/redis-server$/);
  });

  it('names the apt package when a binary is missing', () => {
    // Only the two servers are typed; an unknown name stands in for an uninstalled one.
    expect(() => binaryPath('etcd-not-installed' as 'etcd')).toThrow(BinaryNotFoundError);
    expect(() => binaryPath('etcd-not-installed' as 'etcd')).toThrow(/not found on PATH.*apt-get install -y/);
  });

  it('returns a port that can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });
});
