// What a local cluster of the shipped shape (nine storage hosts, three
// namespace replicas, placement, frontend) costs doing nothing: CPU time per
// second of every service process, from /proc, over a quiet window after
// start-up has settled. On two shared cores every idle millisecond is taken
// from the data path, so background work (heat publishing, chain probes,
// leases, the chain manager) is measured here rather than guessed.
// Args: --settle <seconds before measuring, default 15> --seconds <window, default 20>
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalCluster } from '@platter/testkit';

/** Kernel clock ticks per second (USER_HZ): 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far, in ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const arg = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const settle = arg('settle', 15);
  const seconds = arg('seconds', 20);
  const cluster = await startLocalCluster({ hostsPerZone: 3 });
  try {
    await sleep(settle * 1000);
    const procs = cluster.processes().filter((p) => p.pid !== undefined);
    const before = new Map(procs.map((p) => [p.id, cpuTicks(p.pid!)]));
    await sleep(seconds * 1000);
    const perProcess: Record<string, number> = {};
    const byRole: Record<string, number> = {};
    let total = 0;
    for (const p of procs) {
      const ms = ((cpuTicks(p.pid!) - before.get(p.id)!) * (1000 / TICKS_PER_SECOND)) / seconds;
      perProcess[p.id] = Math.round(ms);
      byRole[p.role] = Math.round((byRole[p.role] ?? 0) + ms);
      total += ms;
    }
    return {
      topology: '9 storage hosts × 3 disks, 3 namespace replicas, placement, frontend',
      windowSeconds: seconds,
      cpuMsPerSecond: { total: Math.round(total), byRole, perProcess },
    };
  } finally {
    await cluster.stop();
  }
}
