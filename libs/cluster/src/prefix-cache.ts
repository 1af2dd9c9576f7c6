import { EventEmitter } from 'node:events';
import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from '@platter/telemetry';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';
import { ClosedError, CodecError } from './errors.js';
import { cancelWatcher } from './watch-util.js';

export interface PrefixCacheOptions<T> {
  etcd: Etcd3;
  prefix: string;
  /** Throws CodecError for a malformed value; such keys are logged and left out. */
  decode: (raw: Buffer, key: string) => T;
  logger: Logger;
}

export interface PrefixChange<T> {
  key: string;
  /** undefined when the key was deleted (or its new value is malformed). */
  value: T | undefined;
  previous: T | undefined;
}

/**
 * A local, always-current copy of every key under a prefix: one range read,
 * then a watch from the next revision. It never polls. After a watch
 * failure, a compaction or a reconnection it lists again and reconciles,
 * because a resumed watch can skip events (etcd3 restarts the watch from
 * the revision of the *create* response, not from the last event seen).
 *
 * Events: 'change' (PrefixChange<T>[]) after each applied batch;
 * 'error' (err) only when someone listens; otherwise failures are logged.
 */
export class PrefixCache<T> extends EventEmitter {
  private readonly entries = new Map<string, T>();
  private rev = 0n;
  private watcher: Watcher | undefined;
  private readonly closed = new AbortController();
  private recovering: Promise<void> | undefined;
  // Watch events that arrive while a re-list is in flight; replayed on top of the snapshot.
  private buffered: IWatchResponse[] | undefined;
  private readonly log: Logger;

  private constructor(private readonly opts: PrefixCacheOptions<T>) {
    super();
    // The caller's logger names the component; we add what is ours.
    this.log = opts.logger.child({ prefix: opts.prefix });
  }

  /** Lists the prefix (fails fast if etcd is down) and starts watching. */
  static async open<T>(opts: PrefixCacheOptions<T>): Promise<PrefixCache<T>> {
    const cache = new PrefixCache(opts);
    await cache.relist();
    cache.startWatch();
    return cache;
  }

  /** The revision the cache reflects (a decimal string, as etcd reports revisions). */
  get revision(): string {
    return this.rev.toString();
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Entries in key order. */
  snapshot(): [string, T][] {
    return [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  values(): T[] {
    return this.snapshot().map(([, v]) => v);
  }

  async close(): Promise<void> {
    if (this.closed.signal.aborted) return;
    this.closed.abort();
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher !== undefined) await cancelWatcher(watcher);
    this.removeAllListeners('change');
  }

  private decodeOrSkip(kv: IKeyValue): T | undefined {
    const key = kv.key.toString();
    try {
      return this.opts.decode(kv.value, key);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.log.warn({ key, err: err.message }, 'ignoring malformed value');
      return undefined;
    }
  }

  /** Replaces the cache with a fresh range read, emitting the differences. */
  private async relist(): Promise<void> {
    if (this.closed.signal.aborted) throw new ClosedError('prefix cache is closed');
    this.buffered = [];
    try {
      const res = await this.opts.etcd.getAll().prefix(this.opts.prefix).exec();
      const fresh = new Map<string, T>();
      for (const kv of res.kvs) {
        const value = this.decodeOrSkip(kv);
        if (value !== undefined) fresh.set(kv.key.toString(), value);
      }
      const changes: PrefixChange<T>[] = [];
      for (const [key, previous] of this.entries) {
        if (!fresh.has(key)) changes.push({ key, value: undefined, previous });
      }
      for (const [key, value] of fresh) {
        const previous = this.entries.get(key);
        if (previous === undefined || JSON.stringify(previous) !== JSON.stringify(value))
          changes.push({ key, value, previous });
      }
      this.entries.clear();
      for (const [k, v] of fresh) this.entries.set(k, v);
      this.rev = BigInt(res.header.revision);
      this.emitChanges(changes);
      const pending = this.buffered;
      this.buffered = undefined;
      for (const batch of pending) this.apply(batch);
    } finally {
      this.buffered = undefined;
    }
  }

  private startWatch(): void {
    if (this.closed.signal.aborted) return;
    // watcher() attaches without waiting for the stream, so a flapping etcd cannot hang us here.
    const watcher = this.opts.etcd
      .watch()
      .prefix(this.opts.prefix)
      .startRevision((this.rev + 1n).toString())
      .watcher();
    this.watcher = watcher;
    let disconnected = false;
    watcher.on('data', (res: IWatchResponse) => {
      if (this.buffered !== undefined) this.buffered.push(res);
      else this.apply(res);
    });
    watcher.on('disconnected', () => {
      disconnected = true;
      this.log.debug('watch disconnected');
    });
    watcher.on('connected', () => {
      if (!disconnected) return;
      disconnected = false;
      this.log.info('watch reconnected; re-listing');
      void this.recover(false);
    });
    watcher.on('error', (err: Error) => {
      this.log.warn({ err }, 'watch failed; re-listing and re-watching');
      void this.recover(true);
    });
  }

  /** Re-lists until it succeeds (with backoff); with rewatch, replaces the watcher from the new revision. */
  private recover(rewatch: boolean): Promise<void> {
    this.recovering ??= (async () => {
      // An errored watcher was already dropped by etcd3's watch manager; cancelling it could wait forever.
      if (rewatch) this.watcher = undefined;
      for (let attempt = 0; !this.closed.signal.aborted; attempt++) {
        try {
          await this.relist();
          break;
        } catch (err) {
          if (this.closed.signal.aborted) return;
          this.reportError(err);
          await sleepUnlessAborted(backoffDelay(attempt), this.closed.signal);
        }
      }
      if (rewatch || this.watcher === undefined) this.startWatch();
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private apply(res: IWatchResponse): void {
    const changes: PrefixChange<T>[] = [];
    for (const ev of res.events) {
      const rev = BigInt(ev.kv.mod_revision);
      // Already reflected by a newer snapshot.
      if (rev <= this.rev) continue;
      const key = ev.kv.key.toString();
      const previous = this.entries.get(key);
      const value = ev.type === 'Put' ? this.decodeOrSkip(ev.kv) : undefined;
      if (value === undefined) this.entries.delete(key);
      else this.entries.set(key, value);
      if (previous !== undefined || value !== undefined) changes.push({ key, value, previous });
    }
    // Only an empty (progress) response vouches for its header revision: a catch-up
    // response carries the current revision while later batches still follow.
    const last = res.events[res.events.length - 1];
    const newRev = last === undefined ? BigInt(res.header.revision) : BigInt(last.kv.mod_revision);
    if (newRev > this.rev) this.rev = newRev;
    this.emitChanges(changes);
  }

  private emitChanges(changes: PrefixChange<T>[]): void {
    if (changes.length > 0) this.emit('change', changes);
  }

  private reportError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.log.warn({ err }, 'prefix cache recovery failed; retrying');
  }
}
