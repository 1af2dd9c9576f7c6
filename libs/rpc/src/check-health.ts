import type { ChannelCredentials } from '@grpc/grpc-js';
import { healthV1 } from '@platter/proto';
import { Code } from './code.js';
import { ServingStatus } from './health-status.js';
import { createRpcClient } from './rpc-client.js';
import { RpcError } from './rpc-error.js';

export interface CheckHealthOptions {
  /** Service to ask about; the whole server (`''`) by default. */
  service?: string;
  /** Deadline of the probe, ms. */
  timeoutMs: number;
  credentials?: ChannelCredentials;
}

/**
 * One grpc.health.v1 Check against `address`, for probes and tools. A service
 * the server does not know comes back as SERVICE_UNKNOWN; an unreachable
 * server rejects with RpcError (UNAVAILABLE, DEADLINE_EXCEEDED).
 */
export async function checkHealth(address: string, options: CheckHealthOptions): Promise<ServingStatus> {
  const client = createRpcClient(healthV1.Health, address, {
    defaultTimeoutMs: options.timeoutMs,
    retry: false,
    credentials: options.credentials,
  });
  try {
    const response = await client.check({ service: options.service ?? '' });
    return response.status;
  } catch (error) {
    if (error instanceof RpcError && error.code === Code.NOT_FOUND) return ServingStatus.SERVICE_UNKNOWN;
    throw error;
  } finally {
    client.close();
  }
}
