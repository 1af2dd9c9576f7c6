import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetTempDir, removeOnExit } from './child-reaper.js';
import { isTerminatingSignal, startProcess, type ProcessHandle, type StartProcessOptions } from './process.js';

/**
 * A data dir, either the caller's (kept) or a temp dir we made (removed by
 * destroy(), and at exit unless the server is detached and outlives us).
 */
export async function prepareDataDir(
  given: string | undefined,
  prefix: string,
  detached: boolean,
): Promise<{ dir: string; owned: boolean }> {
  if (given !== undefined) return { dir: given, owned: false };
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (!detached) removeOnExit(dir);
  return { dir, owned: true };
}

/**
 * A server process that can be stopped, killed and started again with the
 * same command line, ports and data: what a restart looks like to clients.
 */
export class ManagedServer {
  private proc: ProcessHandle | undefined;

  constructor(
    private readonly spawnOptions: StartProcessOptions,
    private readonly dataDir: { dir: string; owned: boolean },
  ) {}

  get running(): boolean {
    return this.proc?.running === true;
  }

  get pid(): number | undefined {
    return this.proc?.running === true ? this.proc.pid : undefined;
  }

  /** Starts the server unless it is already running, and waits until it answers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.proc = await startProcess(this.spawnOptions);
  }

  async stop(graceMs?: number): Promise<void> {
    await this.proc?.stop(graceMs);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !proc.running) return;
    proc.kill(signal);
    if (isTerminatingSignal(signal)) await proc.exited;
  }

  pause(): void {
    this.proc?.pause();
  }

  resume(): void {
    this.proc?.resume();
  }

  /** Stops for good and removes the data dir if we created it. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dataDir.owned) {
      await rm(this.dataDir.dir, { recursive: true, force: true, maxRetries: 3 });
      forgetTempDir(this.dataDir.dir);
    }
  }
}
