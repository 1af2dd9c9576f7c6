/**
 * The LMDB sub-databases of one partition replica. The replicated ones are
 * changed only by journal entries (so every replica holds the same bytes);
 * the local ones belong to this replica alone.
 */
export const REPLICATED_TABLES = [
  // 'applied' → u64 sequence ‖ u64 chain epoch of the last applied entry.
  'meta',
  // bucket name (UTF-8) → bucket record.
  'buckets',
  // (bucket, key, descending sequence) → version record: newest first per key.
  'versions',
  // (bucket, key) → u64 sequence of the key's "null" version.
  'null_versions',
  // (bucket, key, ascending sequence) → multipart upload record.
  'uploads',
  // (upload sequence, u32 part number) → registered part record.
  'parts',
  // (disk id, shard id) → disk shard record: the disk → shards index.
  'disk_shards',
  // write id → outcome record of the mutation that carried it.
  'write_ids',
  // u64 sequence → write id: expiry walks it oldest first.
  'write_id_seqs',
] as const;

export type ReplicatedTable = (typeof REPLICATED_TABLES)[number];

export const LOCAL_TABLES = [
  // u64 sequence → JournalEntry (protobuf).
  'journal',
  // 'journal_floor' → u64: entries at or below it are truncated.
  // 'restoring' → present while a snapshot restore is under way.
  'local',
] as const;

export type LocalTable = (typeof LOCAL_TABLES)[number];
export type Table = ReplicatedTable | LocalTable;

export function isReplicatedTable(name: string): name is ReplicatedTable {
  return (REPLICATED_TABLES as readonly string[]).includes(name);
}

export const META_APPLIED_KEY = Buffer.from('applied', 'utf8');
export const LOCAL_JOURNAL_FLOOR_KEY = Buffer.from('journal_floor', 'utf8');
export const LOCAL_RESTORING_KEY = Buffer.from('restoring', 'utf8');
