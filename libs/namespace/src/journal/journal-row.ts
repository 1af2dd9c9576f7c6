import { namespaceV1 } from '@platter/proto';
import { asBuffer, readU64be } from '@platter/namespace-client';
import type { JournalEntry } from './journal-entry.js';

/**
 * How a journal entry is stored in the journal table: a flat framing that
 * costs a few Buffer copies per entry (protobuf-es encoding was a sixth of a
 * commit's CPU). All integers big-endian.
 *
 *   u8 row format (1) | u64 sequence | u32 format version | u32 mutation count |
 *   per mutation: u8 kind | u8 len(database) | database | u32 len(key) | key | u32 len(value) | value
 */
const ROW_FORMAT = 1;
const HEADER_BYTES = 17;

export class JournalRowError extends Error {
  override readonly name = 'JournalRowError';
}

export function encodeJournalRow(entry: JournalEntry): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = ROW_FORMAT;
  header.writeBigUInt64BE(entry.sequence, 1);
  header.writeUInt32BE(entry.formatVersion, 9);
  header.writeUInt32BE(entry.mutations.length, 13);
  parts.push(header);
  for (const m of entry.mutations) {
    const name = Buffer.from(m.database, 'utf8');
    if (name.length > 255) throw new JournalRowError('database name too long');
    const head = Buffer.allocUnsafe(2);
    head[0] = m.kind;
    head[1] = name.length;
    const keyLength = Buffer.allocUnsafe(4);
    keyLength.writeUInt32BE(m.key.byteLength);
    const valueLength = Buffer.allocUnsafe(4);
    valueLength.writeUInt32BE(m.value.byteLength);
    parts.push(head, name, keyLength, asBuffer(m.key), valueLength, asBuffer(m.value));
  }
  return Buffer.concat(parts);
}

/**
 * The entry a row holds. Its keys and values are views of `row`, not copies:
 * rows come fresh from LMDB ranges (lmdb-js copies what a range yields) and
 * from decoded Forward messages, so a copy of each would buy nothing. Whoever
 * passes a row hands its memory over to the entry.
 */
export function decodeJournalRow(row: Uint8Array): JournalEntry {
  const buf = asBuffer(row);
  if (buf.length < HEADER_BYTES || buf[0] !== ROW_FORMAT) throw new JournalRowError('bad journal row');
  const sequence = readU64be(buf, 1);
  const formatVersion = buf.readUInt32BE(9);
  const count = buf.readUInt32BE(13);
  const mutations: namespaceV1.KvMutation[] = [];
  let at = HEADER_BYTES;
  const take = (n: number): Buffer => {
    if (at + n > buf.length) throw new JournalRowError('truncated journal row');
    const out = buf.subarray(at, at + n);
    at += n;
    return out;
  };
  for (let i = 0; i < count; i++) {
    const head = take(2);
    const database = databaseName(take(head[1] ?? 0));
    const key = take(take(4).readUInt32BE(0));
    const value = take(take(4).readUInt32BE(0));
    // Literals, not create(): it walks the schema by reflection, per mutation of every entry a link forwards.
    mutations.push({ $typeName: 'platter.namespace.v1.KvMutation', database, key, kind: head[0] ?? 0, value });
  }
  if (at !== buf.length) throw new JournalRowError('trailing bytes in journal row');
  return { $typeName: 'platter.namespace.v1.JournalEntry', sequence, formatVersion, mutations };
}

// Fatal, so that decoding is canonical (a replica stores a forwarded row as it
// came and applies what it decoded: the two must say the same).
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function databaseName(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new JournalRowError('database name is not UTF-8');
  }
}
