import { namespaceV1 } from '@platter/proto';
import { asBuffer } from '@platter/namespace-client';
import { deleteMutation, putMutation, type KvMutation } from '../journal/journal-entry.js';
import type { ReplicatedTable } from '../store/tables.js';

/**
 * The key-value changes one request makes, last write per key wins (a part
 * that moves from an upload to a version is first unindexed, then indexed
 * again under the same disk key). Order is that of each key's first change,
 * so the same request always yields the same entry.
 */
export class MutationSet {
  private readonly changes = new Map<string, KvMutation>();

  put(table: ReplicatedTable, key: Uint8Array, value: Uint8Array): void {
    this.changes.set(slot(table, key), putMutation(table, key, value));
  }

  delete(table: ReplicatedTable, key: Uint8Array): void {
    this.changes.set(slot(table, key), deleteMutation(table, key));
  }

  /** Whether this entry removes the key (its last change is a delete). */
  deletes(table: ReplicatedTable, key: Uint8Array): boolean {
    return this.changes.get(slot(table, key))?.kind === namespaceV1.MutationKind.DELETE;
  }

  get size(): number {
    return this.changes.size;
  }

  list(): KvMutation[] {
    return [...this.changes.values()];
  }
}

function slot(table: string, key: Uint8Array): string {
  return `${table}\u0000${asBuffer(key).toString('latin1')}`;
}
