import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Role } from '@platter/cluster';

const port = z.number().int().min(1).max(65535);
const replicas = z.object({ replicas: z.number().int().min(0).max(64) });

export const TopologySchema = z.object({
  dataDir: z.string().min(1),
  etcd: z.object({ clientPort: port, peerPort: port }),
  redis: z.object({ port }),
  s3: z.object({ port, region: z.string().min(1) }),
  ports: z.object({ grpcBase: port, adminBase: port }),
  leaseTtlSeconds: z.number().int().min(2),
  cluster: z.object({
    ec: z.object({ k: z.number().int().min(1), m: z.number().int().min(0), codec: z.string().min(1) }),
    blockSizeBytes: z.number().int().min(4096),
    writeQuorum: z.number().int().min(1),
    partitions: z.number().int().min(1),
  }),
  zones: z
    .array(
      z.object({
        name: z.string().min(1),
        racks: z.array(z.object({ name: z.string().min(1), hosts: z.array(z.string().min(1)).min(1) })).min(1),
      }),
    )
    .min(1),
  storage: z.object({ disksPerHost: z.number().int().min(1).max(64) }),
  namespace: replicas,
  placement: replicas,
  auditor: replicas,
  repair: replicas,
  frontend: replicas,
  // Both for tests that inject faults: a crashed process that stays down, and
  // settings (`PLATTER_DISK_FAULTS`, a log level) for chosen processes only.
  restartCrashed: z.boolean().default(true),
  // Settings every service process gets (a process's own processEnv wins).
  serviceEnv: z.record(z.string(), z.string()).default({}),
  // Node and V8 flags of every service process, before its main module. Only
  // some are allowed in NODE_OPTIONS, so they are arguments instead.
  nodeArgs: z.array(z.string().startsWith('--')).default([]),
  processEnv: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});
export type Topology = z.infer<typeof TopologySchema>;

/** One process of the local cluster, fully resolved: who it is, where it listens, what it is told. */
export interface ProcessSpec {
  role: Role;
  id: string;
  zone: string;
  rack: string;
  host: string;
  grpcPort: number;
  adminPort: number;
  /** Extra PLATTER_* settings beyond the base ones the launcher always sets. */
  env: Record<string, string>;
  /** Flags for `node` itself, before the service's main module. */
  nodeArgs: string[];
}

// Start order: the data plane first, the frontend last, so that the S3
// endpoint only opens once what it needs is up. Stop order is the reverse.
export const START_ORDER: readonly Role[] = ['storage', 'namespace', 'placement', 'repair', 'auditor', 'frontend'];

export function loadTopology(file: string): Topology {
  const parsed = TopologySchema.safeParse(parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${file} is not a valid topology:\n${problems}`);
  }
  return parsed.data;
}

export function expandTopology(topology: Topology, dataDir: string): ProcessSpec[] {
  const hosts = topology.zones.flatMap((z) =>
    z.racks.flatMap((r) => r.hosts.map((h) => ({ zone: z.name, rack: r.name, host: h }))),
  );
  const specs: Omit<ProcessSpec, 'grpcPort' | 'adminPort' | 'nodeArgs'>[] = [];
  for (const role of START_ORDER) {
    if (role === 'storage') {
      for (const h of hosts) {
        const id = `storage-${h.host}`;
        const disks = Array.from({ length: topology.storage.disksPerHost }, (_, d) => {
          const diskId = `${h.host}-d${d + 1}`;
          return { id: diskId, path: path.join(dataDir, 'disks', diskId) };
        });
        specs.push({ role, id, ...h, env: { PLATTER_DISKS: JSON.stringify(disks) } });
      }
      continue;
    }
    const count = topology[role].replicas;
    for (let i = 0; i < count; i++) {
      // Spread replicas of a role across zones, first host of each zone first.
      const h = hosts[(i * Math.ceil(hosts.length / topology.zones.length)) % hosts.length] ?? hosts[0]!;
      const env: Record<string, string> = {};
      if (role === 'frontend') {
        env.PLATTER_S3_PORT = String(topology.s3.port + i);
        env.PLATTER_REGION = topology.s3.region;
      }
      // A developer's disks join active: there is no operator to admit them one by one.
      if (role === 'placement') env.PLATTER_AUTO_ACTIVATE_JOINING = 'true';
      const id = `${role}-${i + 1}`;
      // Each replica's LMDB stores live with the rest of this cluster's data, never in a shared default.
      if (role === 'namespace') env.PLATTER_DATA_DIR = path.join(dataDir, 'namespace', id);
      specs.push({ role, id, ...h, env });
    }
  }
  const unknown = Object.keys(topology.processEnv).filter((id) => !specs.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new Error(`processEnv names processes the topology does not have: ${unknown.join(', ')}`);
  return specs.map((s, i) => ({
    ...s,
    env: { ...topology.serviceEnv, ...s.env, ...topology.processEnv[s.id] },
    nodeArgs: topology.nodeArgs,
    grpcPort: topology.ports.grpcBase + i,
    adminPort: topology.ports.adminBase + i,
  }));
}
