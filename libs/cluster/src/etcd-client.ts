import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';

// Every unary etcd call gets a deadline: without one, a call to a frozen etcd never returns.
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 5_000;
// HTTP/2 pings find a frozen or vanished etcd under long-lived watch streams.
// etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time) with GOAWAY.
const GRPC_KEEPALIVE_TIME_MS = 10_000;
const GRPC_KEEPALIVE_TIMEOUT_MS = 5_000;
// After a restart etcd is back in well under a second; the defaults (5 s breaker, 30 s watch backoff) hide that for long.
const CIRCUIT_HALF_OPEN_AFTER_MS = 1_000;
const CIRCUIT_CONSECUTIVE_FAILURES = 3;
const WATCH_BACKOFF_INITIAL_MS = 100;
const WATCH_BACKOFF_MAX_MS = 2_000;
const RECONNECT_BACKOFF_MAX_MS = 2_000;
// Retries on another endpoint for transport errors only; each attempt has its own deadline.
const GLOBAL_RETRY_ATTEMPTS = 2;

export interface ConnectEtcdOptions {
  /** Deadline of every unary call (get, put, txn, lease grant...). Default 5 s. */
  requestTimeoutMs?: number;
  /**
   * Kept for symmetry with other clients: etcd3 1.1.2 ignores its own
   * dialTimeout, and a unary call's deadline covers the dial, so this only
   * serves as requestTimeoutMs when that is not given.
   */
  dialTimeoutMs?: number;
}

/**
 * An etcd3 client with bounded calls (a deadline on every unary call, HTTP/2
 * keepalive under streams) and quick recovery after an etcd restart. The
 * client connects lazily: construction never fails for an unreachable etcd.
 */
export function connectEtcd(endpoints: string[], opts: ConnectEtcdOptions = {}): Etcd3 {
  if (endpoints.length === 0) throw new RangeError('connectEtcd needs at least one endpoint');
  const requestTimeoutMs = opts.requestTimeoutMs ?? opts.dialTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  const options: IOptions = {
    hosts: endpoints,
    grpcOptions: {
      'grpc.keepalive_time_ms': GRPC_KEEPALIVE_TIME_MS,
      'grpc.keepalive_timeout_ms': GRPC_KEEPALIVE_TIMEOUT_MS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: CIRCUIT_HALF_OPEN_AFTER_MS,
          breaker: new ConsecutiveBreaker(CIRCUIT_CONSECUTIVE_FAILURES),
        }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: GLOBAL_RETRY_ATTEMPTS }),
      // etcd3 types this as a backoff instance but calls .next() on it like a factory, which is what cockatiel's ExponentialBackoff is.
      watchBackoff: new ExponentialBackoff({
        initialDelay: WATCH_BACKOFF_INITIAL_MS,
        maxDelay: WATCH_BACKOFF_MAX_MS,
      }) as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>,
    },
  };
  return new Etcd3(options);
}
