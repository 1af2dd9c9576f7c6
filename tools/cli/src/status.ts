import { Keyspace, MemberView, ROLES, connectEtcd, type MemberRecord } from '@platter/cluster';
import { ServingStatus, checkHealth } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import { etcdEndpoints } from './cluster-env.js';
import { printColumns } from './print-columns.js';

// A member that does not answer its health check within this time is reported unhealthy.
const HEALTH_TIMEOUT_MS = 2_000;

export interface MemberStatus extends MemberRecord {
  grpcHealth: string;
  ready: boolean;
  healthy: boolean;
}

export async function runStatus(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const etcd = connectEtcd(etcdEndpoints());
  let members: MemberRecord[];
  try {
    const view = await MemberView.open({
      etcd,
      keyspace: new Keyspace(process.env.PLATTER_ETCD_PREFIX),
      logger: createLogger({ service: 'cli', level: 'warn' }),
    });
    members = view.members();
    await view.close();
  } finally {
    etcd.close();
  }
  const statuses = await Promise.all(members.map(probe));
  statuses.sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.id.localeCompare(b.id));
  if (json) console.log(JSON.stringify({ members: statuses, healthy: statuses.every((s) => s.healthy) }, null, 2));
  else printTable(statuses);
  return statuses.length > 0 && statuses.every((s) => s.healthy) ? 0 : 1;
}

async function probe(m: MemberRecord): Promise<MemberStatus> {
  const [grpcHealth, ready] = await Promise.all([
    checkHealth(m.grpcAddress, { timeoutMs: HEALTH_TIMEOUT_MS }).then(
      (s) => ServingStatus[s] ?? String(s),
      (err: Error) => `unreachable (${err.message.split('\n')[0]})`,
    ),
    fetch(`${m.adminUrl}/readyz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) }).then(
      async (r) => {
        await r.body?.cancel();
        return r.ok;
      },
      () => false,
    ),
  ]);
  return { ...m, grpcHealth, ready, healthy: grpcHealth === 'SERVING' && ready };
}

function printTable(rows: MemberStatus[]): void {
  if (rows.length === 0) {
    console.log('no members registered');
    return;
  }
  const table = rows.map((r) => [
    r.role,
    r.id,
    r.grpcAddress,
    r.adminUrl,
    [r.labels.zone, r.labels.rack, r.labels.host].filter(Boolean).join('/'),
    r.healthy ? 'healthy' : `UNHEALTHY (grpc ${r.grpcHealth}, ready ${r.ready})`,
  ]);
  const header = ['ROLE', 'ID', 'GRPC', 'ADMIN', 'ZONE/RACK/HOST', 'HEALTH'];
  printColumns(header, table);
}
