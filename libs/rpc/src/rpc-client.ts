import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { Client, credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { clientChannelOptions, type ChannelTuning } from './channel-options.js';
import {
  bidiStreamingCall,
  clientStreamingCall,
  serverStreamingCall,
  unaryAttempt,
  type CallPlan,
} from './client-calls.js';
import { resolveDeadline } from './deadline.js';
import { grpcMethodDefinition } from './grpc-definition.js';
import { rpcMetrics, type SideMetrics } from './metrics.js';
import { DEFAULT_RETRY_POLICY, isRetryableMethod, withRetries, type RetryPolicy } from './retry-policy.js';
import type { CallOptions, RpcClient } from './types.js';

export interface RpcClientOptions extends ChannelTuning {
  /** Deadline of a call that sets none itself, ms from its start. Required: no call goes without one. */
  defaultTimeoutMs: number;
  /** Where the client metrics go. Leave out only in one-shot tools (probes, CLIs). */
  registry?: Registry;
  /** Overrides of the retry policy for idempotent unary methods, or false for no retries at all. */
  retry?: Partial<RetryPolicy> | false;
  /** Defaults to plaintext (cluster-internal traffic). */
  credentials?: ChannelCredentials;
}

/**
 * A typed client for `service` at `address` (`host:port`): one function per
 * method, named by its local name (`echo`, `upload`), plus `close()`.
 */
export function createRpcClient<S extends DescService>(
  service: S,
  address: string,
  options: RpcClientOptions,
): RpcClient<S> {
  if (!Number.isFinite(options.defaultTimeoutMs) || options.defaultTimeoutMs <= 0) {
    throw new TypeError(`defaultTimeoutMs must be a positive number of ms, got ${options.defaultTimeoutMs}`);
  }
  if (service.methods.some((method) => method.localName === 'close')) {
    throw new TypeError(`${service.typeName}: a method named "close" would hide close()`);
  }
  const client = new Client(
    address,
    options.credentials ?? grpcCredentials.createInsecure(),
    clientChannelOptions(options),
  );
  const metrics = options.registry === undefined ? undefined : rpcMetrics(options.registry, 'client');
  const retry = options.retry === false ? undefined : { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const methods: Record<string, unknown> = {};
  for (const method of service.methods) {
    methods[method.localName] = methodCall(method, client, metrics, options.defaultTimeoutMs, retry);
  }
  methods.close = () => client.close();
  return methods as RpcClient<S>;
}

function methodCall(
  method: DescMethod,
  client: Client,
  sideMetrics: SideMetrics | undefined,
  defaultTimeoutMs: number,
  retry: RetryPolicy | undefined,
): (input: never, options?: CallOptions) => unknown {
  const definition = grpcMethodDefinition(method);
  const metrics = sideMetrics?.forMethod(method);
  const plan = (options: CallOptions | undefined): CallPlan => ({
    client,
    definition,
    metrics,
    deadline: resolveDeadline(options, defaultTimeoutMs),
    signal: options?.signal,
    metadata: options?.metadata,
  });
  switch (method.methodKind) {
    case 'unary': {
      const retryPolicy = retry !== undefined && isRetryableMethod(method) ? retry : undefined;
      return (request: unknown, options?: CallOptions) => {
        let callPlan: CallPlan;
        try {
          callPlan = plan(options);
        } catch (error) {
          return Promise.reject(error);
        }
        if (retryPolicy === undefined) return unaryAttempt(callPlan, request);
        return withRetries(() => unaryAttempt(callPlan, request), retryPolicy, callPlan.deadline, callPlan.signal);
      };
    }
    case 'server_streaming':
      return (request: unknown, options?: CallOptions) => {
        const callPlan = plan(options);
        return lazy(() => serverStreamingCall(callPlan, request));
      };
    case 'client_streaming':
      return (requests: AsyncIterable<unknown>, options?: CallOptions) => {
        try {
          return clientStreamingCall(plan(options), requests);
        } catch (error) {
          return Promise.reject(error);
        }
      };
    case 'bidi_streaming':
      return (requests: AsyncIterable<unknown>, options?: CallOptions) => {
        const callPlan = plan(options);
        return lazy(() => bidiStreamingCall(callPlan, requests));
      };
  }
}

/** An iterable whose call starts on iteration, once per iteration. */
function lazy<T>(start: () => AsyncIterator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: start };
}
