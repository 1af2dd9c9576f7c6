import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '@platter/telemetry';
import { aborted, backoffDelay, sleepUnlessAborted } from './backoff.js';
import { ClosedError, EtcdUnavailableError } from './errors.js';
import { MemberRecordCodec, type Keyspace, type MemberRecord } from './keyspace.js';
import { LeaseKeeper, REVOKE_TIMEOUT_MS, type LeaseLossReason } from './lease-keeper.js';

// A process that cannot reach etcd for this long at startup should fail and be restarted by its supervisor.
export const DEFAULT_REGISTER_TIMEOUT_MS = 30_000;

export interface MembershipOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  logger: Logger;
  /** Lease TTL: how long after this process dies (or is cut off) its record vanishes. */
  ttlSeconds: number;
  /** Upper bound for the first registration; default 30 s. */
  registerTimeoutMs?: number;
}

export interface RegisteredEvent {
  key: string;
  leaseId: string;
  /** 1 for the first registration, then one more for every re-registration after a lost lease. */
  generation: number;
}

/**
 * This process's lease-bound record under members/<role>/<id>.
 *
 * register() resolves after the first successful put, retrying with backoff
 * for at most registerTimeoutMs, then rejects with EtcdUnavailableError and
 * gives up (fail fast at startup; the supervisor restarts us). Once
 * registered, a lost lease (etcd unreachable for a TTL, or expired) is
 * re-granted and the record put again in the background, with backoff,
 * for as long as the process lives; the process keeps serving meanwhile.
 *
 * Events: 'registered' (RegisteredEvent), 'lost' (reason), 'error' (err,
 * only when someone listens; otherwise failures are logged).
 */
export class Membership extends EventEmitter {
  private readonly stop = new AbortController();
  private keeper: LeaseKeeper | undefined;
  private isRegistered = false;
  private loop: Promise<void> | undefined;
  private generation = 0;
  private lastError: unknown;
  private readonly log: Logger;

  constructor(private readonly opts: MembershipOptions) {
    super();
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1)
      throw new RangeError('ttlSeconds must be a positive integer');
    this.log = opts.logger.child({ component: 'membership' });
  }

  get registered(): boolean {
    return this.isRegistered;
  }

  get leaseId(): string | undefined {
    return this.isRegistered ? this.keeper?.id : undefined;
  }

  /** Validates the record, then registers it (see the class comment for the timeout behaviour). */
  async register(record: MemberRecord): Promise<void> {
    if (this.stop.signal.aborted) throw new ClosedError('membership is closed');
    if (this.loop !== undefined) throw new Error('register() may only be called once');
    const key = this.opts.keyspace.member(record.role, record.id);
    const value = MemberRecordCodec.encode(record);
    const timeoutMs = this.opts.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    let firstSuccess!: () => void;
    const registeredOnce = new Promise<void>((resolve) => (firstSuccess = resolve));
    // Aborted when the first registration runs out of time; never after it succeeded.
    const giveUp = new AbortController();
    const timer = setTimeout(
      () => giveUp.abort(new EtcdUnavailableError(`could not register ${key} in etcd within ${timeoutMs} ms`)),
      timeoutMs,
    );
    this.loop = this.maintain(key, value, firstSuccess, giveUp.signal);
    try {
      await Promise.race([registeredOnce, this.loop, aborted(giveUp.signal)]);
    } finally {
      clearTimeout(timer);
    }
    if (this.isRegistered) return;
    if (giveUp.signal.aborted) {
      const cause: unknown = this.lastError;
      await this.loop;
      throw new EtcdUnavailableError(`could not register ${key} in etcd within ${timeoutMs} ms`, { cause });
    }
    throw new ClosedError('membership closed before it registered');
  }

  /** Stops the keep-alive and revokes the lease so the record vanishes now (best effort, bounded). */
  async close(): Promise<void> {
    if (this.stop.signal.aborted) return;
    this.stop.abort();
    const keeper = this.keeper;
    this.isRegistered = false;
    await keeper?.revoke(REVOKE_TIMEOUT_MS);
    await this.loop;
  }

  private async maintain(key: string, value: string, firstSuccess: () => void, giveUp: AbortSignal): Promise<void> {
    let attempt = 0;
    let previousLease: LeaseKeeper | undefined;
    // Before the first success, the registration deadline stops us too.
    const stopped = (): boolean => this.stop.signal.aborted || (this.generation === 0 && giveUp.aborted);
    const stopSignal = AbortSignal.any([this.stop.signal, giveUp]);
    while (!stopped()) {
      let keeper: LeaseKeeper | undefined;
      try {
        keeper = await LeaseKeeper.grant({ etcd: this.opts.etcd, ttlSeconds: this.opts.ttlSeconds, logger: this.log });
        if (stopped()) {
          await keeper.revoke();
          return;
        }
        const prev = await this.opts.etcd.put(key).value(value).lease(keeper.id).getPrevious();
        if (stopped()) {
          await keeper.revoke();
          return;
        }
        if (prev !== undefined && prev.lease !== '0' && prev.lease !== previousLease?.id) {
          // Our own record from before a crash-restart, or a duplicate member id: worth a line either way.
          this.log.warn({ key, previousLease: prev.lease }, 'took over a member key still held by another lease');
        }
        // A lease we declared lost by our own clock may still live in etcd: drop it.
        if (previousLease !== undefined) void previousLease.revoke();
        previousLease = keeper;
        this.keeper = keeper;
        this.isRegistered = true;
        attempt = 0;
        this.generation++;
        this.log.info(
          { key, leaseId: keeper.id, ttlSeconds: keeper.ttlSeconds, generation: this.generation },
          'registered',
        );
        this.emit('registered', { key, leaseId: keeper.id, generation: this.generation } satisfies RegisteredEvent);
        firstSuccess();
        const reason = await Promise.race([keeper.ended(), aborted(this.stop.signal).then(() => undefined)]);
        if (this.stop.signal.aborted || reason === undefined) return;
        this.isRegistered = false;
        this.emit('lost', reason satisfies LeaseLossReason);
      } catch (err) {
        keeper?.release();
        if (stopped()) return;
        this.lastError = err;
        this.reportError(err, key);
        await sleepUnlessAborted(backoffDelay(attempt++), this.generation === 0 ? stopSignal : this.stop.signal);
      }
    }
  }

  private reportError(err: unknown, key: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.log.warn({ err, key }, 'registration attempt failed; retrying');
  }
}
