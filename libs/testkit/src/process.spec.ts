import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup.js';
import { ProcessStartError } from './errors.js';
import { freePort } from './free-port.js';
import { isAlive, startProcess } from './process.js';
import { waitFor } from './wait-for.js';

// A tiny HTTP server that becomes ready after a delay, so readiness polling is exercised.
const SERVER_SCRIPT = `
const http = require('node:http');
const port = Number(process.env.PORT);
console.log('starting on', port);
setTimeout(() => http.createServer((req, res) => { res.statusCode = 200; res.end('ok'); }).listen(port, '127.0.0.1'), 300);
process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });
`;

describe('startProcess', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('resolves once readyUrl answers 200 and stops gracefully', async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'testkit-proc-'));
    cleanup.add(() => rm(dir, { recursive: true, force: true }));
    const logFile = join(dir, 'server.log');
    const proc = await startProcess({
      name: 'http',
      command: process.execPath,
      args: ['-e', SERVER_SCRIPT],
      env: { PORT: String(port) },
      logFile,
      readyUrl: `http://127.0.0.1:${port}/`,
      readyTimeoutMs: 10_000,
    });
    cleanup.add(() => proc.stop());
    expect(proc.running).toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('ok');
    await proc.stop(5_000);
    expect(proc.running).toBe(false);
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await waitFor('log flushed', async () => (await readFile(logFile, 'utf8')).includes('got SIGTERM'));
    expect(await readFile(logFile, 'utf8')).toContain(`starting on ${port}`);
  });

  it('rejects with the last output lines when the process exits before it is ready', async () => {
    const port = await freePort();
    const attempt = startProcess({
      name: 'crasher',
      command: process.execPath,
      args: ['-e', "console.error('config invalid: missing --data-dir'); process.exit(3)"],
      readyUrl: `http://127.0.0.1:${port}/`,
    });
    await expect(attempt).rejects.toBeInstanceOf(ProcessStartError);
    await expect(attempt).rejects.toThrow(
      /exited before it was ready \(code 3[\s\S]*config invalid: missing --data-dir/,
    );
  });

  it('kills a process that never becomes ready and reports the timeout', async () => {
    const port = await freePort();
    let pid = 0;
    const attempt = startProcess({
      name: 'silent',
      command: process.execPath,
      args: ['-e', "console.log('pid', process.pid); setInterval(() => {}, 1000)"],
      readyUrl: `http://127.0.0.1:${port}/`,
      readyTimeoutMs: 500,
    });
    const err = await attempt.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessStartError);
    const message = (err as Error).message;
    expect(message).toMatch(/not ready after 500 ms/);
    pid = Number(/pid (\d+)/.exec(message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('rejects when the command does not exist', async () => {
    await expect(startProcess({ name: 'nope', command: '/nonexistent/binary', args: [] })).rejects.toThrow(
      /cannot spawn/,
    );
  });

  it('pauses and resumes a process, and stop() works on a paused process', async () => {
    const proc = await startProcess({ name: 'sleeper', command: 'sleep', args: ['30'] });
    cleanup.add(() => proc.stop());
    proc.pause();
    await waitFor(
      'stopped state',
      async () => (await readFile(`/proc/${proc.pid}/stat`, 'utf8')).split(' ')[2] === 'T',
    );
    proc.resume();
    await waitFor(
      'running state',
      async () => (await readFile(`/proc/${proc.pid}/stat`, 'utf8')).split(' ')[2] !== 'T',
    );
    proc.pause();
    await proc.stop(2_000);
    expect((await proc.exited).signal).toBe('SIGTERM');
  });

  it('kills children when the parent is SIGKILLed (parent-death signal, no exit hook runs)', async () => {
    const script = `
      import { startProcess } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      const child = await startProcess({ name: 'orphan', command: 'sleep', args: ['60'] });
      console.log('CHILD', child.pid);
      process.kill(process.pid, 'SIGKILL');
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.signal).toBe('SIGKILL');
    const pid = Number(/CHILD (\d+)/.exec(result.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await waitFor('orphan killed', () => !isAlive(pid), { timeoutMs: 2_000 });
  });

  it('SIGKILLs still-running children when the parent process exits, even on a crash', async () => {
    // The parent loads the kit from source through tsx, starts a long sleep, prints its pid and crashes.
    const script = `
      import { startProcess } from ${JSON.stringify(new URL('./index.ts', import.meta.url).pathname)};
      const child = await startProcess({ name: 'orphan', command: 'sleep', args: ['60'] });
      console.log('CHILD', child.pid);
      throw new Error('test crashed');
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    const pid = Number(/CHILD (\d+)/.exec(result.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    // The orphan is reparented and reaped by init, which takes a moment.
    await waitFor('orphan reaped', () => !isAlive(pid), { timeoutMs: 2_000 });
  });
});
