import type { LocalCluster } from '@platter/testkit';

/** One series of a Prometheus text exposition: its labels and value. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Every series of metric `name` on one process's /metrics. */
export async function metricSeries(cluster: LocalCluster, id: string, name: string): Promise<Series[]> {
  const p = cluster.processes().find((x) => x.id === id);
  if (p === undefined) throw new Error(`${id} is not in the cluster`);
  const text = await (await fetch(`http://127.0.0.1:${p.adminPort}/metrics`)).text();
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels: Record<string, string> = {};
    const open = line.indexOf('{');
    if (open === name.length)
      for (const m of line.slice(open + 1, line.lastIndexOf('}')).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[m[1]!] = m[2]!;
    out.push({ labels, value: Number(line.split(' ').at(-1)) });
  }
  return out;
}

/** The sum of every series of metric `name` on one process. */
export async function processMetric(cluster: LocalCluster, id: string, name: string): Promise<number> {
  return (await metricSeries(cluster, id, name)).reduce((sum, s) => sum + s.value, 0);
}
