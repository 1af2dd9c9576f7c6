import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '@platter/telemetry';

// Keep-alives go out every third of the TTL (what etcd's Go client does): two can be lost before the lease is.
const KEEPALIVE_FRACTION = 3;
// A revoke at shutdown must not hold the process up: the lease expires on its own anyway.
export const REVOKE_TIMEOUT_MS = 1_000;

export type LeaseLossReason = 'expired' | 'keepalive-timeout';

export interface GrantLeaseOptions {
  etcd: Etcd3;
  ttlSeconds: number;
  logger: Logger;
}

/**
 * One etcd lease and its keep-alive, judged by our own monotonic clock rather
 * than by etcd3's Lease (which only notices a loss long after the fact and
 * reads the wall clock). The lease counts as lost when no keep-alive sent in
 * the last TTL was confirmed: etcd cannot have expired it before that instant,
 * so a holder that stops acting on 'lost' never acts on an expired lease
 * (modulo clock-rate drift, which epochs fence).
 *
 * Events: 'lost' (reason) — emitted at most once; the keeper is then dead.
 */
export class LeaseKeeper extends EventEmitter {
  private closed = false;
  private lostReason: LeaseLossReason | undefined;
  private lastConfirmedAt: number;
  private inFlight = false;
  private readonly tick: NodeJS.Timeout;
  private deadline: NodeJS.Timeout;
  private readonly log: Logger;

  private constructor(
    private readonly etcd: Etcd3,
    readonly id: string,
    /** The TTL etcd granted, which may exceed the one asked for (etcd enforces a minimum). */
    readonly ttlSeconds: number,
    grantSentAt: number,
    logger: Logger,
  ) {
    super();
    this.log = logger.child({ lease: id });
    this.lastConfirmedAt = grantSentAt;
    this.deadline = this.armDeadline();
    this.tick = setInterval(() => void this.keepAliveOnce(), (ttlSeconds * 1000) / KEEPALIVE_FRACTION);
  }

  /** Grants a lease (bounded by the client's request deadline) and starts keeping it alive. */
  static async grant(opts: GrantLeaseOptions): Promise<LeaseKeeper> {
    const sentAt = performance.now();
    const res = await opts.etcd.leaseClient.leaseGrant({ TTL: opts.ttlSeconds, ID: 0 });
    const ttl = Number(res.TTL);
    return new LeaseKeeper(opts.etcd, res.ID, ttl > 0 ? ttl : opts.ttlSeconds, sentAt, opts.logger);
  }

  get alive(): boolean {
    return !this.closed && this.lostReason === undefined;
  }

  /** Resolves when the lease is lost (with the reason) or the keeper is closed (undefined). */
  ended(): Promise<LeaseLossReason | undefined> {
    if (!this.alive) return Promise.resolve(this.lostReason);
    return new Promise((resolve) => {
      this.once('lost', resolve);
      this.once('closed', () => resolve(undefined));
    });
  }

  /** Stops keep-alives and lets the lease expire on its own. */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    clearTimeout(this.deadline);
    this.emit('closed');
  }

  /** Stops keep-alives and revokes the lease (its keys vanish now), best effort within timeoutMs. */
  async revoke(timeoutMs = REVOKE_TIMEOUT_MS): Promise<void> {
    this.release();
    try {
      await this.etcd.leaseClient.leaseRevoke({ ID: this.id }, { deadline: Date.now() + timeoutMs });
    } catch (err) {
      this.log.debug({ err }, 'lease revoke failed; it will expire on its own');
    }
  }

  private armDeadline(): NodeJS.Timeout {
    const remaining = Math.max(0, this.lastConfirmedAt + this.ttlSeconds * 1000 - performance.now());
    return setTimeout(() => this.lose('keepalive-timeout'), remaining);
  }

  private lose(reason: LeaseLossReason): void {
    if (!this.alive) return;
    this.lostReason = reason;
    this.closed = true;
    clearInterval(this.tick);
    clearTimeout(this.deadline);
    this.log.warn({ reason, ttlSeconds: this.ttlSeconds }, 'lease lost');
    this.emit('lost', reason);
  }

  private async keepAliveOnce(): Promise<void> {
    // One keep-alive at a time: a hung one is bounded by its own deadline.
    if (this.inFlight || !this.alive) return;
    this.inFlight = true;
    const sentAt = performance.now();
    const timeoutMs = (this.ttlSeconds * 1000) / KEEPALIVE_FRACTION;
    try {
      const stream = await this.etcd.leaseClient.leaseKeepAlive({ deadline: Date.now() + timeoutMs });
      const ttl = await new Promise<string>((resolve, reject) => {
        stream.on('data', (res) => resolve(res.TTL));
        // Listener stays attached: a late error on an ended stream must not become an unhandled 'error'.
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('keep-alive stream ended without a response')));
        stream.write({ ID: this.id });
      }).finally(() => stream.end());
      if (!this.alive) return;
      if (ttl === '0') {
        this.lose('expired');
        return;
      }
      this.lastConfirmedAt = sentAt;
      clearTimeout(this.deadline);
      this.deadline = this.armDeadline();
    } catch (err) {
      if (this.alive) this.log.debug({ err }, 'lease keep-alive failed');
    } finally {
      this.inFlight = false;
    }
  }
}
