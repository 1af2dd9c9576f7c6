import type { ChannelOptions } from '@grpc/grpc-js';

// Only option names grpc-js 1.14 reads are used here (see `recognizedOptions`
// in grpc-js channel-options.ts, and server.ts for the server side): names
// from the C core such as `grpc.http2.min_ping_interval_without_data_ms` or
// `grpc.http2.max_pings_without_data` are silently ignored by grpc-js. A
// grpc-js server does not police client pings at all, so our client
// keepalive cannot earn a GOAWAY(too_many_pings) from our own servers.
// channel-options.spec.ts checks every name against grpc-js.

/**
 * Largest message either end sends or accepts, bytes: a 1 MiB block (or a
 * 4 MiB one, if a cluster is configured so) plus its small fields, with
 * headroom. grpc-js would refuse anything over 4 MiB on receive.
 */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Client ping interval, ms. A call to a frozen peer (power loss, partition)
 * otherwise hangs until its deadline, and an idle channel never notices.
 */
export const CLIENT_KEEPALIVE_TIME_MS = 20_000;

/** How long a keepalive ping may go unanswered before the connection is declared dead, ms. */
export const KEEPALIVE_TIMEOUT_MS = 10_000;

/** Server ping interval, ms: finds clients that vanished without closing their connection. */
export const SERVER_KEEPALIVE_TIME_MS = 30_000;

/**
 * First and largest wait between reconnection attempts, ms. grpc-js defaults
 * to 1 s and 120 s; a restarted storage node should be reachable again within
 * seconds, not minutes.
 */
export const INITIAL_RECONNECT_BACKOFF_MS = 250;
export const MAX_RECONNECT_BACKOFF_MS = 5_000;

/**
 * HTTP/2 receive window of a client connection, bytes. The 64 KiB default
 * stalls a 1 MiB message for a round trip every 64 KiB on a server stream.
 */
export const CLIENT_FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

export interface KeepaliveOptions {
  /** Interval between pings, ms. */
  timeMs: number;
  /** Time to wait for a ping ack, ms. */
  timeoutMs: number;
}

export interface ChannelTuning {
  keepalive?: Partial<KeepaliveOptions>;
  maxMessageBytes?: number;
  /** Extra grpc-js options, applied last. */
  channelOptions?: ChannelOptions;
}

/**
 * Options for a client channel: keepalive even when idle, message limits,
 * quick reconnects. Compression is refused: shard bytes are incompressible,
 * and a BulkFrame (see bulk-codec.ts) is not a Buffer that zlib could take.
 */
export function clientChannelOptions(tuning: ChannelTuning = {}): ChannelOptions {
  const compression: unknown = tuning.channelOptions?.['grpc.default_compression_algorithm'];
  if (compression !== undefined && compression !== 0) {
    throw new TypeError('grpc.default_compression_algorithm is not supported by @platter/rpc');
  }
  const maxMessageBytes = tuning.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return {
    'grpc.keepalive_time_ms': tuning.keepalive?.timeMs ?? CLIENT_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': tuning.keepalive?.timeoutMs ?? KEEPALIVE_TIMEOUT_MS,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.initial_reconnect_backoff_ms': INITIAL_RECONNECT_BACKOFF_MS,
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
    'grpc-node.flow_control_window': CLIENT_FLOW_CONTROL_WINDOW_BYTES,
    ...tuning.channelOptions,
  };
}

/** Options for a server: keepalive pings to clients and message limits. */
export function serverChannelOptions(tuning: ChannelTuning = {}): ChannelOptions {
  const maxMessageBytes = tuning.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return {
    'grpc.keepalive_time_ms': tuning.keepalive?.timeMs ?? SERVER_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': tuning.keepalive?.timeoutMs ?? KEEPALIVE_TIMEOUT_MS,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_receive_message_length': maxMessageBytes,
    ...tuning.channelOptions,
  };
}
