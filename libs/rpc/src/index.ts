export { Code, codeName, isCode, type CodeName } from './code.js';
export { RpcError, toRpcError, type RpcErrorOptions } from './rpc-error.js';
export { MessageCodecError } from './codec-error.js';
export { messageCodec, type MessageCodec } from './message-codec.js';
export { BULK_MIN_BYTES, bulkFields, releaseAfterCopy } from './bulk-codec.js';
export { Outbox } from './outbox.js';
export { StreamedCalls, type OpenStream, type StreamedCallsOptions } from './streamed-calls.js';
export type { SerializedMessage } from './serialized-message.js';
// The grpc-js definitions stay inside: nothing else may hand them to grpc-js.
export { methodPath } from './grpc-definition.js';
export {
  CLIENT_FLOW_CONTROL_WINDOW_BYTES,
  CLIENT_KEEPALIVE_TIME_MS,
  INITIAL_RECONNECT_BACKOFF_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  MAX_RECONNECT_BACKOFF_MS,
  SERVER_KEEPALIVE_TIME_MS,
  clientChannelOptions,
  serverChannelOptions,
  type ChannelTuning,
  type KeepaliveOptions,
} from './channel-options.js';
export { resolveDeadline } from './deadline.js';
export {
  DEFAULT_RETRY_POLICY,
  RETRYABLE_CODES,
  backoffMs,
  isIdempotent,
  isRetryableMethod,
  retryDelayMs,
  withRetries,
  type RetryDecisionInput,
  type RetryPolicy,
} from './retry-policy.js';
export { RPC_SECONDS_BUCKETS, rpcMetrics, type RpcSide, type SideMetrics, type MethodMetrics } from './metrics.js';
export { HealthStatusManager, ServingStatus, WHOLE_SERVER } from './health-status.js';
export { checkHealth, type CheckHealthOptions } from './check-health.js';
export { INTERNAL_ERROR_MESSAGE } from './server-handlers.js';
export { RpcServer, createRpcServer, type RpcServerOptions } from './rpc-server.js';
export { createRpcClient, type RpcClientOptions } from './rpc-client.js';
export type {
  BidiStreamingCall,
  BidiStreamingImpl,
  CallOptions,
  ClientStreamingCall,
  ClientStreamingImpl,
  HandlerContext,
  MethodCall,
  MethodImpl,
  RpcClient,
  ServerStreamingCall,
  ServerStreamingImpl,
  ServiceImpl,
  UnaryCall,
  UnaryImpl,
} from './types.js';
// grpc-js classes that appear in this API, so that no caller imports grpc-js itself.
export { ChannelCredentials, Metadata, ServerCredentials } from '@grpc/grpc-js';
export {
  ERROR_DETAIL_KEY,
  errorReason,
  readErrorDetail,
  rpcErrorWithDetail,
  type ErrorDetailInit,
} from './error-detail.js';
