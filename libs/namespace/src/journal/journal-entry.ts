import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { compareBytes } from '@platter/namespace-client';
import { decodeApplied, encodeApplied } from '../encoding/records.js';
import { META_APPLIED_KEY } from '../store/tables.js';

/**
 * Journal entries are namespace.proto's JournalEntry: physical key-value
 * changes worked out by the head. The last mutation of every entry is
 * `meta/applied = u64 sequence ‖ u64 chain epoch`, so the entry carries the
 * epoch it was made in without a field of its own, and applying the entry
 * moves the applied sequence in the same transaction as the data.
 */
export type JournalEntry = namespaceV1.JournalEntry;
export type KvMutation = namespaceV1.KvMutation;

/** Version of the record encodings in the mutations (encoding/records.ts, encoding/table-keys.ts). */
export const JOURNAL_FORMAT_VERSION = 1;

// Literal messages: create() walks the schema by reflection, and a PUT makes a dozen of these.
export function putMutation(database: string, key: Uint8Array, value: Uint8Array): KvMutation {
  return { $typeName: 'platter.namespace.v1.KvMutation', database, key, kind: namespaceV1.MutationKind.PUT, value };
}

export function deleteMutation(database: string, key: Uint8Array): KvMutation {
  return {
    $typeName: 'platter.namespace.v1.KvMutation',
    database,
    key,
    kind: namespaceV1.MutationKind.DELETE,
    value: EMPTY,
  };
}

const EMPTY = new Uint8Array(0);

export function makeJournalEntry(sequence: bigint, epoch: bigint, mutations: readonly KvMutation[]): JournalEntry {
  return create(namespaceV1.JournalEntrySchema, {
    sequence,
    formatVersion: JOURNAL_FORMAT_VERSION,
    mutations: [...mutations, putMutation('meta', META_APPLIED_KEY, encodeApplied({ sequence, epoch }))],
  });
}

/** The (sequence, epoch) an entry stamps, or undefined when its last mutation is not a valid applied mark. */
export function entryMark(entry: JournalEntry): { sequence: bigint; epoch: bigint } | undefined {
  const last = entry.mutations[entry.mutations.length - 1];
  if (
    last === undefined ||
    last.database !== 'meta' ||
    last.kind !== namespaceV1.MutationKind.PUT ||
    compareBytes(last.key, META_APPLIED_KEY) !== 0
  ) {
    return undefined;
  }
  try {
    const mark = decodeApplied(last.value);
    return mark.sequence === entry.sequence ? mark : undefined;
  } catch {
    return undefined;
  }
}
