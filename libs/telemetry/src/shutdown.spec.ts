import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import { Shutdown } from './shutdown.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'test',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  });
  return { logger, lines };
}

describe('Shutdown', () => {
  const uninstallers: (() => void)[] = [];
  afterEach(() => {
    for (const u of uninstallers.splice(0)) u();
  });

  it('aborts the signal, runs hooks in reverse order, logs and survives failing hooks', async () => {
    const { logger, lines } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 5_000, exit });
    const order: string[] = [];
    shutdown.onShutdown('etcd client', () => {
      order.push('etcd');
    });
    shutdown.onShutdown('grpc server', async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('grpc');
      throw new Error('tryShutdown failed');
    });
    shutdown.onShutdown('workers', () => {
      expect(shutdown.signal.aborted).toBe(true);
      order.push('workers');
    });
    expect(shutdown.signal.aborted).toBe(false);
    const first = shutdown.trigger('test');
    const second = shutdown.trigger('again');
    await Promise.all([first, second]);
    expect(order).toEqual(['workers', 'grpc', 'etcd']);
    expect(exit).not.toHaveBeenCalled();
    expect(lines.some((l) => l['hook'] === 'grpc server' && l['level'] === 'error')).toBe(true);
    expect(lines.filter((l) => l['msg'] === 'shutdown hook done').map((l) => l['hook'])).toEqual([
      'workers',
      'etcd client',
    ]);
    expect(lines.at(-1)?.['msg']).toBe('shutdown complete');
  });

  it('forces exit(1) when hooks overrun the grace period', async () => {
    const { logger, lines } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 100, exit });
    const ran: string[] = [];
    shutdown.onShutdown('never reached', () => {
      ran.push('first-registered');
    });
    shutdown.onShutdown('stuck', () => new Promise<void>(() => undefined));
    const started = performance.now();
    await shutdown.trigger('test');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(ran).toEqual([]);
    expect(lines.find((l) => l['msg'] === 'shutdown grace period exceeded; forcing exit')).toMatchObject({
      pendingHook: 'stuck',
    });
  });

  it('exits 0 after SIGTERM, and 1 at once on a second signal', async () => {
    const { logger } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 5_000, exit });
    let release: () => void = () => undefined;
    shutdown.onShutdown('slow', () => new Promise<void>((r) => (release = r)));
    uninstallers.push(shutdown.installSignalHandlers());

    process.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.signal.aborted).toBe(true);
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    release();
    await shutdown.trigger('x');
    await new Promise((r) => setImmediate(r));
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits 0 after a clean signal-triggered shutdown', async () => {
    const { logger } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 5_000, exit });
    uninstallers.push(shutdown.installSignalHandlers());
    process.emit('SIGTERM', 'SIGTERM');
    await shutdown.trigger('x');
    await new Promise((r) => setImmediate(r));
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('logs an uncaught exception as fatal, shuts down and exits 1', async () => {
    const { logger, lines } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 5_000, exit });
    const hook = vi.fn();
    shutdown.onShutdown('close', hook);
    uninstallers.push(shutdown.installSignalHandlers());
    // @types/node has no emit overload for this event; the runtime accepts it like any other.
    (process.emit as (event: string, ...args: unknown[]) => boolean)(
      'uncaughtException',
      new Error('kaboom'),
      'uncaughtException',
    );
    await shutdown.trigger('x');
    await new Promise((r) => setImmediate(r));
    expect(hook).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    const fatal = lines.find((l) => l['level'] === 'fatal');
    expect(fatal).toMatchObject({ msg: 'uncaughtException', err: { message: 'kaboom' } });
  });

  it('treats an unhandled rejection the same way', async () => {
    const { logger, lines } = capturingLogger();
    const exit = vi.fn();
    const shutdown = new Shutdown({ logger, graceMs: 5_000, exit });
    uninstallers.push(shutdown.installSignalHandlers());
    process.emit('unhandledRejection', new Error('lost promise'), Promise.resolve());
    await shutdown.trigger('x');
    await new Promise((r) => setImmediate(r));
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(lines.some((l) => l['level'] === 'fatal' && l['msg'] === 'unhandledRejection')).toBe(true);
  });
});
