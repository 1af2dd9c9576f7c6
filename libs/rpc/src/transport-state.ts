/**
 * The one place that looks inside grpc-js (1.14) call objects, because its
 * public API cannot answer a question that matters: did the request stream
 * end because the client half-closed, or because the HTTP/2 stream was reset
 * (lost connection, a peer that resets without half-closing)? grpc-js ends
 * the request stream in both cases and reports the cancellation only later
 * (grpc-node issue #205). When the end arrives, a reset stream is already
 * closed while a half-closed one is still open for the response; grpc-js's
 * own `checkCancelled()` on its base call tests exactly that (and, when
 * true, starts its cancellation handling at once).
 *
 * What no server can see: a grpc-js client that cancels mid-stream closes its
 * HTTP/2 stream with Node's `Http2Stream.close()`, which sends END_STREAM —
 * a genuine half-close on the wire — and the RST_STREAM only after it. A
 * request stream whose completeness matters must therefore carry its own
 * check (expected length and checksum in its first message), as shard
 * uploads do; see README.md.
 *
 * Returns undefined when the objects do not have the expected shape (an
 * interceptor in between, another grpc-js version): the caller then falls
 * back to waiting for the 'cancelled' event, and rpc-deadline.spec.ts fails.
 */
export function streamWasReset(serverStream: object): boolean | undefined {
  const call = (serverStream as { call?: { checkCancelled?: unknown } }).call;
  if (call === undefined || typeof call.checkCancelled !== 'function') return undefined;
  return (call.checkCancelled as () => boolean).call(call) === true;
}
