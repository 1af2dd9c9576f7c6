import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingRedis, startRedis, type RedisHandle } from './redis.js';

/** One RESP command, first reply line back. */
function command(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

describe('startRedis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.destroy();
  });

  it('answers PING and restarts on the same port (empty: nothing is persisted)', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await pingRedis(redis.port)).toBe(true);
    expect(await command(redis.port, 'SET', 'k', 'v')).toBe('+OK\r\n');
    expect(await command(redis.port, 'GET', 'k')).toBe('$1\r\nv\r\n');

    await redis.stop();
    expect(await pingRedis(redis.port)).toBe(false);
    await redis.start();
    expect(await pingRedis(redis.port)).toBe(true);
    // Redis is disposable by design (heat and queues refill): no save, no AOF.
    expect(await command(redis.port, 'GET', 'k')).toBe('$-1\r\n');
  });

  it('pause() freezes it (PING times out) and resume() brings it back', async () => {
    redis.pause();
    expect(await pingRedis(redis.port)).toBe(false);
    redis.resume();
    expect(await pingRedis(redis.port)).toBe(true);
  });
});
