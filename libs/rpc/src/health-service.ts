import { healthV1 } from '@platter/proto';
import { Code } from './code.js';
import type { HealthStatusManager } from './health-status.js';
import { RpcError } from './rpc-error.js';
import type { ServiceImpl } from './types.js';

/** grpc.health.v1.Health backed by a status manager; every RpcServer registers it. */
export function healthServiceImpl(manager: HealthStatusManager): ServiceImpl<typeof healthV1.Health> {
  return {
    async check(request) {
      const status = manager.getStatus(request.service);
      // The protocol answers NOT_FOUND for a service the server does not know.
      if (status === undefined) throw new RpcError(Code.NOT_FOUND, `unknown service "${request.service}"`);
      return { status };
    },
    async *watch(request, context) {
      for await (const status of manager.watch(request.service, context.signal)) yield { status };
    },
  };
}
