import type { Writable } from 'node:stream';
import { Code } from './code.js';
import { RpcError } from './rpc-error.js';

/**
 * Resolves on the stream's next 'drain'; rejects with the signal's reason if
 * it aborts first, or with CANCELLED if the stream closes (a cancelled call
 * never drains).
 */
export function waitForDrain(stream: Writable, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new RpcError(Code.CANCELLED, 'stream closed while waiting to write'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/**
 * Writes every item of `source` to `stream`, waiting for 'drain' whenever
 * `write()` says the buffer is full, so a fast producer is held to the pace of
 * the network. Does not end the stream. Stops (and returns the source's
 * iterator) when the signal aborts. `onWritten` hears of each item handed to the stream.
 */
export async function writeAll<T>(
  stream: Writable,
  source: AsyncIterable<T>,
  signal: AbortSignal,
  onWritten?: () => void,
): Promise<void> {
  for await (const item of source) {
    if (signal.aborted) throw signal.reason;
    const more = stream.write(item);
    onWritten?.();
    if (!more) await waitForDrain(stream, signal);
  }
  if (signal.aborted) throw signal.reason;
}
