import { HeatKeyspace, type Redis } from '@platter/heat';
import type { RebalanceReason } from '../rebalance-planner.js';

/**
 * The Redis stream of move tasks, one name for the whole code base:
 * `<prefix>rebalance:moves` (`platter:rebalance:moves` by default). The
 * placement leader appends; the repair service reads it with a consumer group.
 */
export const MOVE_STREAM_SUFFIX = 'rebalance:moves';
/** Version of the task format below; a consumer skips (and acknowledges) versions it does not know. */
export const MOVE_TASK_VERSION = '1';

/** The stream key under a key prefix (validated like heat keys, so one Redis may serve several clusters). */
export function moveStreamKey(prefix = 'platter:'): string {
  return `${new HeatKeyspace(prefix).prefix}${MOVE_STREAM_SUFFIX}`;
}

/**
 * One task: "move up to `bytes` of shards off `sourceDiskId`, because of
 * `reason`". Placement knows disks, not shards: the consumer finds shards on
 * the source (namespace's disk → shards index; coldest first for drain and
 * fill, hottest first for heat), asks AllocateStripe for a target with
 * io_class REBALANCE, the stripe's other disks as occupied and the source
 * excluded, copies, swaps the location, then deletes the old copy. The bytes
 * of all tasks stay within the configured rate (rebalanceBytesPerSecond).
 */
export interface MoveTask {
  taskId: string;
  sourceDiskId: string;
  reason: RebalanceReason;
  bytes: number;
  /** The leader's election epoch: a consumer drops tasks older than an epoch it has seen (a deposed leader's). */
  leaderEpoch: string;
  /** ISO time of planning; a consumer may drop tasks older than a few rounds. */
  plannedAt: string;
  /** The source's fill ratio and the fleet mean when planned, for logs and for deciding when to stop. */
  sourceFill: number;
  meanFill: number;
}

const REASONS: readonly RebalanceReason[] = ['drain', 'fill', 'heat', 'respread'];

/** Stream entry fields, as XADD takes them: field, value, field, value, ... */
export function encodeMoveTask(t: MoveTask): string[] {
  return [
    'v',
    MOVE_TASK_VERSION,
    'taskId',
    t.taskId,
    'source',
    t.sourceDiskId,
    'reason',
    t.reason,
    'bytes',
    String(Math.floor(t.bytes)),
    'epoch',
    t.leaderEpoch,
    'plannedAt',
    t.plannedAt,
    'sourceFill',
    t.sourceFill.toFixed(6),
    'meanFill',
    t.meanFill.toFixed(6),
  ];
}

/** The task of an entry's fields; undefined for another version or a malformed entry. */
export function decodeMoveTask(fields: readonly string[]): MoveTask | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
  if (f.get('v') !== MOVE_TASK_VERSION) return undefined;
  const reason = f.get('reason') as RebalanceReason | undefined;
  const bytes = Number(f.get('bytes'));
  const taskId = f.get('taskId');
  const source = f.get('source');
  if (reason === undefined || !REASONS.includes(reason) || !(bytes > 0) || !taskId || !source) return undefined;
  return {
    taskId,
    sourceDiskId: source,
    reason,
    bytes,
    leaderEpoch: f.get('epoch') ?? '0',
    plannedAt: f.get('plannedAt') ?? '',
    sourceFill: Number(f.get('sourceFill') ?? 0),
    meanFill: Number(f.get('meanFill') ?? 0),
  };
}

/** Where the leader's tasks go. */
export interface MoveTaskSink {
  publish(tasks: readonly MoveTask[]): Promise<void>;
}

/** Appends tasks in one pipeline, trimming the stream to about `maxLen` entries (XADD MAXLEN ~), so an absent consumer cannot fill Redis. */
export class RedisMoveTaskSink implements MoveTaskSink {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxLen: number,
  ) {}

  async publish(tasks: readonly MoveTask[]): Promise<void> {
    if (tasks.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const t of tasks) pipeline.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', ...encodeMoveTask(t));
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed !== undefined)
      throw new Error('redis refused move tasks', { cause: failed?.[0] ?? undefined });
  }
}
