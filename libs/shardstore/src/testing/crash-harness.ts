import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ShardNotFoundError } from '../errors.js';
import { ShardStore } from '../shard-store.js';
import { CRASH_BLOCK_BYTES, CRASH_CLUSTER_ID, CRASH_EXTENT_BYTES, crashShardBytes } from './crash-workload.js';

// Kill -9 at random moments, then check (RELIABILITY.md G1, G3): every
// acknowledged shard reads back byte-exact, every acknowledged delete stays
// deleted, and any other shard present is whole and exact — never partial.

/** A child that neither prints nor dies within this is a hang: fail. */
const CHILD_DEADLINE_MS = 20_000;

export interface CrashIterationResult {
  iteration: number;
  killedAfterMs: number;
  ackedPuts: number;
  ackedDeletes: number;
  liveShards: number;
  unackedSurvivors: number;
  recovery: ShardStore['recovery'];
}

export interface CrashRunOptions {
  dir: string;
  iterations: number;
  seed?: number;
  /** Kill somewhere in this window after the child says READY (or, at times, before it is ready). */
  maxKillDelayMs?: number;
  /**
   * Go on past `iterations`, up to this many, until some kill has torn a record
   * and some has left acknowledged records for replay: which moment a random
   * kill hits depends on the machine's speed, and a run that never hit one
   * would prove nothing about it. With `minAckedPuts`, also until that many
   * puts were acknowledged in all (fewer land per kill on a loaded machine).
   */
  untilCoveredMax?: number;
  minAckedPuts?: number;
  onIteration?: (r: CrashIterationResult) => void;
}

const covered = (results: CrashIterationResult[], minAckedPuts: number): boolean =>
  results.some((r) => r.recovery.tailBytesTruncated > 0) &&
  results.some((r) => r.recovery.recordsReplayed > 0) &&
  results.reduce((n, r) => n + r.ackedPuts, 0) >= minAckedPuts;

type ShardFate = 'live' | 'deleting' | 'gone';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'crash-child.ts');

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export async function runCrashIterations(options: CrashRunOptions): Promise<CrashIterationResult[]> {
  let x = options.seed ?? 12345;
  const random = (): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const fates = new Map<string, ShardFate>();
  const results: CrashIterationResult[] = [];
  const more = (i: number): boolean =>
    i < options.iterations || (i < (options.untilCoveredMax ?? 0) && !covered(results, options.minAckedPuts ?? 0));
  for (let i = 0; more(i); i++) {
    const killAfterReady = random() < 0.8;
    const delay = Math.floor(random() * (options.maxKillDelayMs ?? 600));
    const run = await runChild(options.dir, `r${i}`, Math.floor(random() * 2 ** 31), killAfterReady, delay);
    for (const [kind, id] of run.events) {
      if (kind === 'A') fates.set(id, 'live');
      else if (kind === 'd' && fates.get(id) === 'live') fates.set(id, 'deleting');
      else if (kind === 'D') fates.set(id, 'gone');
    }
    const result = await check(options.dir, fates);
    const r: CrashIterationResult = {
      iteration: i,
      killedAfterMs: run.killedAfterMs,
      ackedPuts: run.events.filter((e) => e[0] === 'A').length,
      ackedDeletes: run.events.filter((e) => e[0] === 'D').length,
      ...result,
    };
    results.push(r);
    options.onIteration?.(r);
  }
  return results;
}

async function runChild(
  dir: string,
  tag: string,
  seed: number,
  afterReady: boolean,
  delayMs: number,
): Promise<{ events: Array<[string, string]>; killedAfterMs: number }> {
  const child = spawn(process.execPath, ['--import', tsxLoader(), CHILD, dir, tag, String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = performance.now();
  const events: Array<[string, string]> = [];
  let buffered = '';
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  const deadline = setTimeout(kill, CHILD_DEADLINE_MS);
  if (!afterReady) killTimer = setTimeout(kill, delayMs);
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, id] = line.split(' ');
      if (kind === 'READY' && afterReady && !killTimer) killTimer = setTimeout(kill, delayMs);
      else if ((kind === 'A' || kind === 'd' || kind === 'D') && id) events.push([kind, id]);
    }
  });
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  clearTimeout(deadline);
  if (killTimer) clearTimeout(killTimer);
  const killedAfterMs = Math.round(performance.now() - started);
  if (signal !== 'SIGKILL') throw new Error(`crash child exited by itself (code ${code}): ${stderr.slice(-2000)}`);
  if (killedAfterMs >= CHILD_DEADLINE_MS) throw new Error(`crash child hung: ${stderr.slice(-2000)}`);
  return { events, killedAfterMs };
}

async function check(
  dir: string,
  fates: Map<string, ShardFate>,
): Promise<Omit<CrashIterationResult, 'iteration' | 'killedAfterMs' | 'ackedPuts' | 'ackedDeletes'>> {
  const store = await ShardStore.open({
    dir,
    clusterId: CRASH_CLUSTER_ID,
    blockSizeBytes: CRASH_BLOCK_BYTES,
    extentSizeBytes: CRASH_EXTENT_BYTES,
    reserveFreeBytes: 0,
  });
  try {
    const present = new Set<string>();
    for (let after: string | undefined, i = 0; i < 10_000; i++) {
      const page = await store.list(after === undefined ? { limit: 1000 } : { after, limit: 1000 });
      for (const s of page.shards) {
        if (s.state === 'corrupt') throw new Error(`index entry of ${s.shardId} is corrupt after a crash`);
        present.add(s.shardId);
      }
      if (page.nextAfter === undefined) break;
      after = page.nextAfter;
    }
    let unackedSurvivors = 0;
    for (const id of present) {
      const got = await store.get(id);
      if (!got.equals(crashShardBytes(id))) throw new Error(`${id} reads back wrong bytes (${got.length} bytes)`);
      const fate = fates.get(id);
      if (fate === 'gone') throw new Error(`${id} was deleted (acknowledged) but is back`);
      if (fate === undefined) unackedSurvivors++;
      // Whatever survived is now durable, acknowledged or not.
      fates.set(id, 'live');
    }
    for (const [id, fate] of fates) {
      if (present.has(id)) continue;
      if (fate === 'live') {
        await store.get(id).then(
          () => undefined,
          (err: unknown) => {
            if (err instanceof ShardNotFoundError) throw new Error(`acknowledged shard ${id} is missing after a crash`);
            throw err;
          },
        );
        throw new Error(`acknowledged shard ${id} is readable but not listed`);
      }
      fates.set(id, 'gone');
    }
    const damaged = (await store.verify({ limit: 10_000 })).damaged;
    if (damaged.length > 0)
      throw new Error(`verify found damage after a crash: ${JSON.stringify(damaged.slice(0, 3))}`);
    return { liveShards: present.size, unackedSurvivors, recovery: store.recovery };
  } finally {
    await store.close();
  }
}
