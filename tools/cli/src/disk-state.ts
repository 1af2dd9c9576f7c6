import { Keyspace, MemberView, connectEtcd, type MemberRecord } from '@platter/cluster';
import { commonV1, placementV1 } from '@platter/proto';
import { RpcError, codeName, createRpcClient } from '@platter/rpc';
import { createLogger } from '@platter/telemetry';
import { etcdEndpoints } from './cluster-env.js';

/** Deadline of each SetDiskState / ListDisks call, ms: placement answers from memory plus one etcd write. */
const CALL_TIMEOUT_MS = 5_000;

/** `platter disks <verb>`: the state each verb asks placement for. */
export const DISK_STATE_VERBS = {
  activate: commonV1.DiskState.ACTIVE,
  drain: commonV1.DiskState.DRAINING,
  retire: commonV1.DiskState.RETIRED,
  fail: commonV1.DiskState.FAILED,
} as const;
export type DiskStateVerb = keyof typeof DISK_STATE_VERBS;

export function isDiskStateVerb(word: string | undefined): word is DiskStateVerb {
  return word !== undefined && Object.hasOwn(DISK_STATE_VERBS, word);
}

export interface DiskStateCommand {
  verb: DiskStateVerb;
  diskIds: string[];
  /** `activate --all-joining`: every disk placement lists as JOINING. */
  allJoining: boolean;
  reason: string;
}

export const DISK_STATE_USAGE = `usage: platter disks activate|drain|retire|fail <diskId...> [--reason=<text>]
       platter disks activate --all-joining [--reason=<text>]`;

/** Parses `<verb> [ids...] [--all-joining] [--reason=...]`; throws with the usage on anything else. */
export function parseDiskStateCommand(args: readonly string[]): DiskStateCommand {
  const [verb, ...rest] = args;
  if (!isDiskStateVerb(verb)) throw new Error(`unknown disks command '${verb ?? ''}'\n${DISK_STATE_USAGE}`);
  const diskIds: string[] = [];
  let allJoining = false;
  let reason = `platter disks ${verb} (operator)`;
  for (const a of rest) {
    if (a === '--all-joining') allJoining = true;
    else if (a.startsWith('--reason=')) reason = a.slice('--reason='.length);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${DISK_STATE_USAGE}`);
    else diskIds.push(a);
  }
  if (allJoining && verb !== 'activate') throw new Error(`--all-joining goes with activate only\n${DISK_STATE_USAGE}`);
  if (allJoining === diskIds.length > 0)
    throw new Error(`name the disks, or use --all-joining (not both)\n${DISK_STATE_USAGE}`);
  if (reason.trim() === '') throw new Error('--reason must not be empty');
  return { verb, diskIds, allJoining, reason };
}

/** The placement replicas registered in etcd (any of them serves SetDiskState). */
async function placementMembers(): Promise<MemberRecord[]> {
  const etcd = connectEtcd(etcdEndpoints());
  try {
    const view = await MemberView.open({
      etcd,
      keyspace: new Keyspace(process.env.PLATTER_ETCD_PREFIX),
      logger: createLogger({ service: 'cli', level: 'warn' }),
    });
    const members = view.members().filter((m) => m.role === 'placement');
    await view.close();
    return members;
  } finally {
    etcd.close();
  }
}

const stateName = (s: commonV1.DiskState): string => (commonV1.DiskState[s] ?? String(s)).toLowerCase();

/**
 * `platter disks activate|drain|retire|fail <diskId...>` and
 * `platter disks activate --all-joining`: asks the placement service to
 * change each disk's state (it checks the lifecycle and writes etcd with a
 * compare-and-set). Prints one line per disk; exit 1 if any change failed.
 */
export async function runDiskState(args: readonly string[]): Promise<number> {
  const cmd = parseDiskStateCommand(args);
  const members = await placementMembers();
  const member = members[0];
  if (member === undefined) throw new Error('no placement service is registered in etcd');
  const client = createRpcClient(placementV1.PlacementService, member.grpcAddress, {
    defaultTimeoutMs: CALL_TIMEOUT_MS,
  });
  try {
    let targets: { diskId: string; epoch: bigint }[] = cmd.diskIds.map((diskId) => ({ diskId, epoch: 0n }));
    if (cmd.allJoining) {
      const listed = await client.listDisks({ states: [commonV1.DiskState.JOINING], pageSize: 10_000 });
      // The epoch seen here fences the change: a disk changed meanwhile fails STALE_EPOCH instead of being overridden.
      targets = listed.disks.map((d) => ({ diskId: d.disk?.diskId ?? '', epoch: d.stateEpoch }));
      if (targets.length === 0) console.log('no joining disks');
    }
    let failed = 0;
    for (const t of targets) {
      try {
        const res = await client.setDiskState({
          diskId: t.diskId,
          state: DISK_STATE_VERBS[cmd.verb],
          reason: cmd.reason,
          expectedStateEpoch: t.epoch,
        });
        const now = stateName(res.disk?.state ?? commonV1.DiskState.UNSPECIFIED);
        console.log(
          res.changed
            ? `${t.diskId}: now ${now} (state epoch ${res.disk?.stateEpoch ?? 0n})`
            : `${t.diskId}: already ${now}, unchanged`,
        );
      } catch (err) {
        if (!(err instanceof RpcError)) throw err;
        failed++;
        console.error(`${t.diskId}: ${codeName(err.code)}: ${err.message}`);
      }
    }
    return failed === 0 ? 0 : 1;
  } finally {
    client.close();
  }
}
