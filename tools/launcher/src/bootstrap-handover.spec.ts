// tools/bootstrap-handover.mjs, the bootstrap's last step, over real
// processes: a signal sent to the bootstrap alone reaches the command it runs,
// and the bootstrap leaves with that command's exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '@platter/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const HANDOVER = path.join(ROOT, 'tools/bootstrap-handover.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-handover-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already, as it should be
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A command that says its pid, then on SIGTERM says so and leaves with 3; on nothing else does it stop. */
const COMMAND = `
process.on('SIGTERM', () => { console.log('got SIGTERM'); setTimeout(() => process.exit(3), 20); });
process.on('SIGINT', () => console.log('got SIGINT'));
console.log('pid ' + process.pid);
setInterval(() => {}, 1000);
`;

function bootstrapLike(command: string): { proc: ChildProcess; output: () => string; commandPid: Promise<number> } {
  const commandFile = path.join(dir, `command-${started.length}.cjs`);
  fs.writeFileSync(commandFile, command);
  const parentFile = path.join(dir, `parent-${started.length}.mjs`);
  fs.writeFileSync(
    parentFile,
    `import { handOver } from ${JSON.stringify(HANDOVER)};\n` +
      `process.exit(await handOver(process.execPath, [${JSON.stringify(commandFile)}]));\n`,
  );
  // Its own process group, so that only what the test sends reaches it.
  const proc = spawn(process.execPath, [parentFile], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  const commandPid = new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /pid (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', () => reject(new Error(`exited before the command started: ${out}`)));
  });
  void commandPid.then(
    (pid) => started.push(pid),
    () => undefined,
  );
  return { proc, output: () => out, commandPid };
}

const exited = (proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));

/**
 * As bootstrapLike, through handOverCaptured: the parent prints what the
 * command said and its code, and leaves with it. The command writes its pid
 * to a file once its handlers are in place (its output is the parent's).
 */
function checkLike(): { proc: ChildProcess; output: () => string; commandPid: Promise<number> } {
  const n = started.length;
  const pidFile = path.join(dir, `captured-${n}.pid`);
  const commandFile = path.join(dir, `captured-${n}.cjs`);
  fs.writeFileSync(
    commandFile,
    `${COMMAND}\nrequire('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n`,
  );
  const parentFile = path.join(dir, `captured-parent-${n}.mjs`);
  fs.writeFileSync(
    parentFile,
    `import { handOverCaptured } from ${JSON.stringify(HANDOVER)};\n` +
      `const r = await handOverCaptured(process.execPath, [${JSON.stringify(commandFile)}]);\n` +
      `console.log(JSON.stringify(r));\nprocess.exit(r.code);\n`,
  );
  const proc = spawn(process.execPath, [parentFile], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const commandPid = (async () => {
    for (let i = 0; i < 250; i++) {
      if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '') {
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        started.push(pid);
        return pid;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the command did not start');
  })();
  return { proc, output: () => out, commandPid };
}

describe('the bootstrap hands over to the command', () => {
  it('passes a SIGTERM sent to it alone on to the command, and leaves with its exit code', async () => {
    const b = bootstrapLike(COMMAND);
    const pid = await b.commandPid;
    const exit = exited(b.proc);
    process.kill(b.proc.pid!, 'SIGINT'); // forwarded; this command does not stop for it
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid)).toBe(true);
    process.kill(b.proc.pid!, 'SIGTERM');
    expect(await exit).toEqual({ code: 3, signal: null });
    expect(b.output()).toContain('got SIGINT');
    expect(b.output()).toContain('got SIGTERM');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isAlive(pid)).toBe(false);
  });

  it('with its output captured, still passes signals on, and returns the output and the exit code', async () => {
    const b = checkLike();
    const pid = await b.commandPid;
    const exit = exited(b.proc);
    process.kill(b.proc.pid!, 'SIGTERM');
    expect(await exit).toEqual({ code: 3, signal: null });
    const result = JSON.parse(b.output().trim()) as { code: number; output: string };
    expect(result.code).toBe(3);
    expect(result.output).toContain(`pid ${pid}`);
    expect(result.output).toContain('got SIGTERM');
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isAlive(pid)).toBe(false);
  });

  it('leaves with 128 + the signal number when a signal ended the command', async () => {
    const b = bootstrapLike(COMMAND);
    const pid = await b.commandPid;
    const exit = exited(b.proc);
    process.kill(pid, 'SIGKILL');
    expect(await exit).toEqual({ code: 128 + os.constants.signals.SIGKILL, signal: null });
  });
});
