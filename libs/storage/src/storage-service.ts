import type { ServiceImpl } from '@platter/rpc';
import { storageV1 } from '@platter/proto';
import { ShardNotFoundError, type ListedShard, type ShardInfo } from '@platter/shardstore';
import { describeDisk } from './disk-info.js';
import { getShard } from './get-shard.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { putShard } from './put-shard.js';
import { shardInfoMessage } from './shard-info.js';
import { checkShardId } from './shard-id.js';
import { noSuchShard } from './status-mapping.js';
import { StorageContext, type StorageServiceDeps } from './storage-context.js';
import { damagedBlocks } from './verify-shard.js';

/** ListShards page size when the caller says 0, and the most it may ask for (storage.proto). */
export const DEFAULT_LIST_PAGE_SIZE = 1_000;
export const MAX_LIST_PAGE_SIZE = 10_000;

function live(info: ShardInfo, shardId: string): ShardInfo {
  if (info.state !== 'live') throw noSuchShard(shardId);
  return info;
}

function isInfo(s: ListedShard): s is ShardInfo {
  return s.state === 'live';
}

/** The StorageService contract over this node's disks. */
export function createStorageService(deps: StorageServiceDeps): ServiceImpl<typeof storageV1.StorageService> {
  const ctx = new StorageContext(deps);
  return {
    putShard: (requests) => putShard(requests, ctx),

    getShard: (req) => getShard(req, ctx),

    async deleteShard(req) {
      const disk = ctx.disk(req.diskId);
      const shardId = checkShardId(req.shardId);
      const existed = await disk.run('delete', shardId, async (store) => {
        try {
          await store.delete(shardId);
          return true;
        } catch (err) {
          // Deleting is idempotent: gone already (or never written) is not an error.
          if (err instanceof ShardNotFoundError) return false;
          throw err;
        }
      });
      return { existed };
    },

    async statShard(req) {
      const disk = ctx.disk(req.diskId);
      const shardId = checkShardId(req.shardId);
      const info = await disk.run('stat', shardId, (store) => store.stat(shardId));
      return { shard: shardInfoMessage(live(info, shardId), req.includeBlockCrc32c) };
    },

    async listShards(req) {
      const disk = ctx.disk(req.diskId);
      const limit = req.pageSize === 0 ? DEFAULT_LIST_PAGE_SIZE : Math.min(req.pageSize, MAX_LIST_PAGE_SIZE);
      const after = req.pageToken === '' ? undefined : decodePageToken(req.pageToken, disk.id);
      const page = await disk.run('list', undefined, (store) => store.list({ after, limit }));
      // A shard whose index entry is damaged cannot be described; leaving it out
      // makes the auditor see it missing, and repair rebuild it elsewhere.
      const shards = page.shards.filter(isInfo).map((s) => shardInfoMessage(s, false));
      return { shards, nextPageToken: page.nextAfter === undefined ? '' : encodePageToken(disk.id, page.nextAfter) };
    },

    async verifyShard(req) {
      const disk = ctx.disk(req.diskId);
      const shardId = checkShardId(req.shardId);
      return disk.run('verify', shardId, async (store) => {
        const info = live(await store.stat(shardId), shardId);
        const report = await store.verify({ shardId });
        const damaged = damagedBlocks(info, report.damaged[0]);
        if (report.damaged.length > 0) {
          disk.noteCorruption();
          ctx.logger.warn(
            { disk: disk.id, shard: shardId, damage: report.damaged[0]?.kind, blocks: damaged.length },
            'verify found damage',
          );
        }
        return { shard: shardInfoMessage(info, false), blocksChecked: info.blockCrcs.length, damagedBlocks: damaged };
      });
    },

    async getDiskInfo(req) {
      const disks = req.diskIds.length === 0 ? ctx.disks.all() : req.diskIds.map((id) => ctx.disk(id));
      return { disks: await Promise.all(disks.map((d) => describeDisk(d, ctx))) };
    },
  };
}
