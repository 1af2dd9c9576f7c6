import { healthV1 } from '@platter/proto';

export type ServingStatus = healthV1.HealthCheckResponse_ServingStatus;
export const ServingStatus = healthV1.HealthCheckResponse_ServingStatus;

/** The name the health protocol uses for the server as a whole. */
export const WHOLE_SERVER = '';

interface Watcher {
  readonly service: string;
  /** Latest status not yet delivered; a slow watcher only ever sees the newest. */
  pending: ServingStatus | undefined;
  ended: boolean;
  wake: (() => void) | undefined;
}

/**
 * Serving status per service name, as the grpc.health.v1 protocol reports it
 * (Check and Watch). Once shutdown has begun every status is NOT_SERVING for
 * good and open watches are ended, so that a graceful shutdown is not held
 * open by health watchers.
 */
export class HealthStatusManager {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Set<Watcher>();
  #shuttingDown = false;

  /** Sets a service's status (`''` is the whole server). Ignored once shutdown has begun. */
  setStatus(service: string, status: ServingStatus): void {
    if (this.#shuttingDown) return;
    this.#set(service, status);
  }

  /** The status of a service, or undefined if it was never registered. */
  getStatus(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Reports NOT_SERVING for every service, forever, and ends every watch after that last update. Idempotent. */
  enterShutdown(): void {
    if (this.#shuttingDown) return;
    for (const service of this.#statuses.keys()) this.#set(service, ServingStatus.NOT_SERVING);
    this.#shuttingDown = true;
    for (const watcher of this.#watchers) {
      watcher.ended = true;
      watcher.wake?.();
    }
  }

  /**
   * The statuses of one service: the current one at once (SERVICE_UNKNOWN if
   * it is not registered, as the protocol asks), then every change. Ends when
   * the signal aborts or shutdown begins.
   */
  async *watch(service: string, signal: AbortSignal): AsyncGenerator<ServingStatus, void, undefined> {
    const watcher: Watcher = {
      service,
      pending: this.#statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN,
      ended: this.#shuttingDown || signal.aborted,
      wake: undefined,
    };
    const onAbort = (): void => {
      watcher.ended = true;
      watcher.wake?.();
    };
    this.#watchers.add(watcher);
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal.aborted) return;
        if (watcher.pending !== undefined) {
          const status = watcher.pending;
          watcher.pending = undefined;
          yield status;
          continue;
        }
        if (watcher.ended) return;
        await new Promise<void>((resolve) => (watcher.wake = resolve));
        watcher.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#watchers.delete(watcher);
    }
  }

  #set(service: string, status: ServingStatus): void {
    const previous = this.#statuses.get(service);
    this.#statuses.set(service, status);
    if (previous === status) return;
    for (const watcher of this.#watchers) {
      if (watcher.service !== service) continue;
      watcher.pending = status;
      watcher.wake?.();
    }
  }
}
