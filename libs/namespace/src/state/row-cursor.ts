import type { PartitionStore, Row } from '../store/partition-store.js';
import type { Table } from '../store/tables.js';

/**
 * A forward scan over [start, end) of one table that can jump ahead: listing
 * skips a common prefix's keys, or a key's older versions, by seeking rather
 * than reading them.
 */
export class RowCursor {
  private iterator: Iterator<Row> | undefined;

  constructor(
    private readonly store: PartitionStore,
    private readonly table: Table,
    private start: Uint8Array,
    private readonly end: Uint8Array | undefined,
  ) {}

  next(): Row | undefined {
    this.iterator ??= this.store.range(this.table, { start: this.start, end: this.end })[Symbol.iterator]();
    const step = this.iterator.next();
    return step.done ? undefined : step.value;
  }

  /** Continues from `start` (which must not be behind the rows already read). */
  seek(start: Uint8Array): void {
    this.close();
    this.start = start;
  }

  close(): void {
    this.iterator?.return?.();
    this.iterator = undefined;
  }
}
