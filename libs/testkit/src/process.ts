import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { delimiter, dirname, join, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { reapOnExit } from './child-reaper.js';
import { ProcessStartError } from './errors.js';
import { LineRing } from './line-ring.js';

// Enough context to explain a crash at start, small enough for an error message.
const LAST_LINES = 40;
// Most of our servers start in well under a second; a cold `tsx` start on a busy 2-core box can take several.
const DEFAULT_READY_TIMEOUT_MS = 30_000;
// Graceful stop budget before SIGKILL: etcd and our services flush in far less.
const DEFAULT_STOP_GRACE_MS = 10_000;
// Readiness polling: start fast (most processes are up in ~200 ms), back off to spare CPU.
const READY_POLL_MIN_MS = 25;
const READY_POLL_MAX_MS = 250;
// One readiness probe must not stall the loop behind a frozen process.
const READY_PROBE_TIMEOUT_MS = 1_000;
// How long to let stdout/stderr drain after exit before reporting the last lines.
const DRAIN_AFTER_EXIT_MS = 500;
// Tail of a detached process's log file read back on failure.
const LOG_TAIL_BYTES = 8_192;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  /** Added to (or, with inheritEnv false, replacing) the parent's environment. */
  env?: Record<string, string>;
  /** Default true. */
  inheritEnv?: boolean;
  cwd?: string;
  /** stdout and stderr are appended here. Required to see the output of a detached process. */
  logFile?: string;
  /** Polled with GET until it answers 200. */
  readyUrl?: string;
  /** Custom readiness probe; true means ready. Combined with readyUrl when both are given. */
  ready?: () => boolean | Promise<boolean>;
  readyTimeoutMs?: number;
  /**
   * Own process group, not killed when this process exits, signals go to the
   * whole group (so wrappers such as tsx take their child with them).
   */
  detached?: boolean;
}

export interface ProcessHandle {
  readonly name: string;
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  /** Sends a signal (default SIGKILL: "kill" is the crash, "stop" is the graceful path). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open, like a hung host. */
  pause(): void;
  resume(): void;
  /** The last lines of output (from the log file for a detached process). */
  lastLines(): string[];
}

function readFileTail(path: string): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(-LAST_LINES);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

class ChildHandle implements ProcessHandle {
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private paused = false;
  private readonly ring = new LineRing(LAST_LINES);
  private readonly closed: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly detached: boolean,
    private readonly logFile: string | undefined,
    log: WriteStream | undefined,
  ) {
    const onData = (chunk: Buffer): void => {
      this.ring.push(chunk.toString('utf8'));
      log?.write(chunk);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.closed = new Promise((resolve) => {
      child.once('close', () => {
        log?.end();
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  lastLines(): string[] {
    return this.detached && this.logFile !== undefined ? readFileTail(this.logFile) : this.ring.snapshot();
  }

  /** Output flushed after exit, bounded: a grandchild may hold the pipes open. */
  async drained(): Promise<void> {
    await Promise.race([this.closed, sleep(DRAIN_AFTER_EXIT_MS)]);
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      if (this.detached) process.kill(-this.pid, signal);
      else this.child.kill(signal);
    } catch (err) {
      // ESRCH: it exited between our check and the signal.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.signal(signal);
  }

  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  async stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    // A stopped process keeps SIGTERM pending until it is continued.
    if (this.paused) this.resume();
    const timer = sleep(graceMs, 'timeout' as const, { ref: false });
    const outcome = await Promise.race([this.exited, timer]);
    if (outcome === 'timeout') this.signal('SIGKILL');
    await this.exited;
  }
}

function openLog(logFile: string | undefined): WriteStream | undefined {
  if (logFile === undefined) return undefined;
  mkdirSync(dirname(logFile), { recursive: true });
  return createWriteStream(logFile, { flags: 'a' });
}

async function probeUrl(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
    // Always consume the body, or the connection stays checked out.
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200;
  } catch {
    return false;
  }
}

async function spawnChild(opts: StartProcessOptions): Promise<ChildHandle> {
  const env = opts.inheritEnv === false ? { ...opts.env } : { ...process.env, ...opts.env };
  const detached = opts.detached === true;
  const executable = resolveExecutable(opts.command, env['PATH'], opts.cwd);
  if (executable === undefined)
    throw new ProcessStartError(`${opts.name}: cannot spawn ${opts.command}: not found or not executable`, []);
  // An 'exit' hook does not run when the test runner kills its worker, so
  // non-detached children also get the kernel's parent-death signal.
  const deathGuard = detached ? undefined : parentDeathWrapper();
  const command = deathGuard ?? executable;
  const args = deathGuard === undefined ? opts.args : ['--pdeathsig', 'KILL', '--', executable, ...opts.args];
  let logFd: number | undefined;
  let log: WriteStream | undefined;
  if (detached && opts.logFile !== undefined) {
    // A detached child must not write into pipes that die with us: give it the file itself.
    mkdirSync(dirname(opts.logFile), { recursive: true });
    logFd = openSync(opts.logFile, 'a');
  } else if (!detached) {
    log = openLog(opts.logFile);
  }
  const stdio: ('ignore' | 'pipe' | number)[] = detached
    ? ['ignore', logFd ?? 'ignore', logFd ?? 'ignore']
    : ['ignore', 'pipe', 'pipe'];
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env, stdio, detached });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', (err) =>
      reject(new ProcessStartError(`${opts.name}: cannot spawn ${opts.command}: ${err.message}`, [])),
    );
  });
  if (detached) child.unref();
  else reapOnExit(child);
  return new ChildHandle(opts.name, child, pid, detached, opts.logFile, log);
}

/**
 * Starts a child process and, when a readiness check is given, resolves only
 * once it passes. If the process exits first, or the check times out (the
 * process is then killed), rejects with the process's last output lines.
 */
export async function startProcess(opts: StartProcessOptions): Promise<ProcessHandle> {
  const handle = await spawnChild(opts);
  const { readyUrl, ready } = opts;
  if (readyUrl === undefined && ready === undefined) return handle;
  const timeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  let delay = READY_POLL_MIN_MS;
  for (;;) {
    if (!handle.running) {
      await handle.drained();
      const exit = await handle.exited;
      throw new ProcessStartError(
        `${opts.name} exited before it was ready (code ${exit.code}, signal ${exit.signal})`,
        handle.lastLines(),
      );
    }
    const ok =
      (readyUrl === undefined || (await probeUrl(readyUrl))) && (ready === undefined || (await safeProbe(ready)));
    if (ok && handle.running) return handle;
    if (performance.now() >= deadline) {
      handle.kill('SIGKILL');
      await handle.exited;
      await handle.drained();
      throw new ProcessStartError(`${opts.name} was not ready after ${timeoutMs} ms; killed it`, handle.lastLines());
    }
    await Promise.race([sleep(delay), handle.exited]);
    delay = Math.min(delay * 2, READY_POLL_MAX_MS);
  }
}

/** The absolute path `command` would run as, or undefined when there is none. */
function resolveExecutable(command: string, pathVar: string | undefined, cwd?: string): string | undefined {
  const candidates = command.includes('/')
    ? [resolvePath(cwd ?? process.cwd(), command)]
    : (pathVar ?? '')
        .split(delimiter)
        .filter((d) => d.length > 0)
        .map((d) => join(d, command));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

let setprivPath: string | null | undefined;

/**
 * util-linux `setpriv --pdeathsig KILL -- cmd` sets PR_SET_PDEATHSIG and execs
 * cmd (same pid, so pause/kill still reach the server). Undefined where absent.
 */
function parentDeathWrapper(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath =
      process.platform === 'linux'
        ? (resolveExecutable('setpriv', `${process.env['PATH'] ?? ''}${delimiter}/usr/bin${delimiter}/bin`) ?? null)
        : null;
  }
  return setprivPath ?? undefined;
}

async function safeProbe(probe: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return await probe();
  } catch {
    return false;
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals whose delivery ends a process by default, so waiting for the exit makes sense. */
export function isTerminatingSignal(signal: NodeJS.Signals): boolean {
  return !['SIGSTOP', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGCHLD', 'SIGWINCH', 'SIGURG'].includes(signal);
}
