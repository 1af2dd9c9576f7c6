import fs from 'node:fs';
import path from 'node:path';
import { startProcess, type ProcessHandle } from '@platter/testkit';
import type { ProcessSpec } from './topology.js';

// A crashed service is restarted after this delay, doubled on each crash in a
// row up to the cap, so that a crash loop neither spins nor gives up.
const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 30_000;
// A process that stayed up this long has recovered: its next crash starts the delay over.
const HEALTHY_AFTER_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

interface Supervised {
  spec: ProcessSpec;
  handle?: ProcessHandle;
  delayMs: number;
  startedAt: number;
}

export interface SupervisorOptions {
  /** Default true. Off for fault-injection tests, where a killed process must stay down. */
  restartCrashed?: boolean;
  /** Rewritten on every start: which pid each process has now, for tools that signal one process. */
  processesFile?: string;
}

/** What `processesFile` holds, one entry per process. */
export interface ProcessEntry {
  id: string;
  role: string;
  pid: number | undefined;
  grpcPort: number;
  adminPort: number;
}

/** Runs the service processes of the local cluster, restarts those that crash, stops them in order. */
export class Supervisor {
  private readonly running = new Map<string, Supervised>();
  private stopping = false;

  constructor(
    private readonly root: string,
    private readonly logsDir: string,
    private readonly baseEnv: Record<string, string>,
    private readonly say: (line: string) => void,
    private readonly options: SupervisorOptions = {},
  ) {}

  /** Starts a group of processes in parallel and waits until every one is ready. */
  async startGroup(specs: ProcessSpec[]): Promise<void> {
    await Promise.all(specs.map((spec) => this.start({ spec, delayMs: RESTART_DELAY_MS, startedAt: 0 })));
  }

  processes(): { spec: ProcessSpec; pid?: number }[] {
    return [...this.running.values()].map((s) => ({ spec: s.spec, pid: s.handle?.pid }));
  }

  /** Stops groups in the reverse of start order; processes within a group in parallel. */
  async stopAll(order: readonly string[]): Promise<void> {
    this.stopping = true;
    const byRole = [...order].reverse();
    for (const role of byRole) {
      const group = [...this.running.values()].filter((s) => s.spec.role === role);
      await Promise.all(group.map((s) => s.handle?.stop(STOP_GRACE_MS)));
      if (group.length > 0) this.say(`stopped ${group.length} ${role} process${group.length > 1 ? 'es' : ''}`);
    }
  }

  private async start(s: Supervised): Promise<void> {
    const { spec } = s;
    this.running.set(spec.id, s);
    s.startedAt = Date.now();
    s.handle = await startProcess({
      name: spec.id,
      command: process.execPath,
      args: [...spec.nodeArgs, path.join(this.root, 'apps', spec.role, 'dist', 'main.js')],
      cwd: this.root,
      env: {
        ...this.baseEnv,
        PLATTER_ID: spec.id,
        PLATTER_GRPC_PORT: String(spec.grpcPort),
        PLATTER_ADMIN_PORT: String(spec.adminPort),
        PLATTER_ZONE: spec.zone,
        PLATTER_RACK: spec.rack,
        PLATTER_HOST: spec.host,
        ...spec.env,
      },
      logFile: path.join(this.logsDir, `${spec.id}.log`),
      readyUrl: `http://127.0.0.1:${spec.adminPort}/readyz`,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    this.writeProcessesFile();
    void s.handle.exited.then((how) => this.onExit(s, how));
  }

  private writeProcessesFile(): void {
    const file = this.options.processesFile;
    if (file === undefined) return;
    const entries: ProcessEntry[] = this.processes().map(({ spec, pid }) => ({
      id: spec.id,
      role: spec.role,
      pid,
      grpcPort: spec.grpcPort,
      adminPort: spec.adminPort,
    }));
    // Renamed into place so that a reader never sees half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(entries, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }

  private onExit(s: Supervised, how: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.stopping) return;
    if (Date.now() - s.startedAt > HEALTHY_AFTER_MS) s.delayMs = RESTART_DELAY_MS;
    const reason = how.signal ? `signal ${how.signal}` : `exit code ${how.code}`;
    if (this.options.restartCrashed === false) {
      this.say(`${s.spec.id} exited (${reason}); not restarted (restartCrashed is off)`);
      return;
    }
    this.say(
      `${s.spec.id} exited (${reason}); restarting in ${s.delayMs / 1000} s — see ${path.join(this.logsDir, `${s.spec.id}.log`)}`,
    );
    const delay = s.delayMs;
    s.delayMs = Math.min(s.delayMs * 2, RESTART_DELAY_MAX_MS);
    setTimeout(() => {
      if (this.stopping) return;
      this.start(s).catch((err: Error) => {
        this.say(`${s.spec.id} failed to restart: ${err.message}`);
        this.onExit(s, { code: null, signal: null });
      });
    }, delay).unref();
  }
}
