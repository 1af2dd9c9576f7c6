/** A protobuf Timestamp as a Date, to the millisecond; the epoch when absent. */
export function dateOf(t: { seconds: bigint; nanos: number } | undefined): Date {
  return new Date(t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : 0);
}
