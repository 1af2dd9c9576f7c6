import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, Watcher } from 'etcd3';

// Cancelling waits for etcd's acknowledgement; a frozen etcd must not hold up close().
const WATCH_CANCEL_TIMEOUT_MS = 1_000;

/** Cancels a watcher, giving up after a short bound. */
export async function cancelWatcher(watcher: Watcher): Promise<void> {
  await Promise.race([
    watcher.cancel().catch(() => undefined),
    sleep(WATCH_CANCEL_TIMEOUT_MS, undefined, { ref: false }),
  ]);
}

/**
 * Resolves when `key` is deleted at or after `fromRevision` (immediately if
 * that already happened), rejects if the watch fails, and resolves early when
 * `signal` aborts. On reconnection it re-reads the key, since a resumed etcd3
 * watch may skip events.
 */
export async function waitForDelete(
  etcd: Etcd3,
  key: string,
  fromRevision: bigint,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const watcher = etcd.watch().key(key).startRevision(fromRevision.toString()).watcher();
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let disconnected = false;
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      watcher.on('delete', () => resolve());
      watcher.on('error', reject);
      watcher.on('disconnected', () => (disconnected = true));
      watcher.on('connected', () => {
        if (!disconnected) return;
        disconnected = false;
        etcd
          .get(key)
          .exists()
          .then((exists) => {
            if (!exists) resolve();
          })
          .catch(() => undefined);
      });
    });
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    await cancelWatcher(watcher);
  }
}
