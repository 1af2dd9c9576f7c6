import type { DescService } from '@bufbuild/protobuf';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { healthV1 } from '@platter/proto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { serverChannelOptions, type ChannelTuning } from './channel-options.js';
import { grpcServiceDefinition } from './grpc-definition.js';
import { healthServiceImpl } from './health-service.js';
import { HealthStatusManager, ServingStatus, WHOLE_SERVER } from './health-status.js';
import { rpcMetrics, type SideMetrics } from './metrics.js';
import { grpcHandler } from './server-handlers.js';
import type { ServiceImpl } from './types.js';

export interface RpcServerOptions extends ChannelTuning {
  logger: Logger;
  /** Where the server metrics go. */
  registry: Registry;
  /** Defaults to plaintext (cluster-internal traffic). */
  credentials?: ServerCredentials;
}

/**
 * A grpc-js server that serves protobuf-es services through typed handlers.
 * grpc.health.v1.Health is always registered; each added service reports
 * SERVING until shutdown begins (or until the owner says otherwise through
 * `health`), and the whole server (`''`) once it listens.
 */
export class RpcServer {
  /** Serving status per service, as Check and Watch report it. */
  readonly health = new HealthStatusManager();
  readonly #server: Server;
  readonly #logger: Logger;
  readonly #metrics: SideMetrics;
  readonly #credentials: ServerCredentials;
  #shutdown: Promise<void> | undefined;

  constructor(options: RpcServerOptions) {
    this.#logger = options.logger.child({ component: 'rpc-server' });
    this.#metrics = rpcMetrics(options.registry, 'server');
    this.#credentials = options.credentials ?? ServerCredentials.createInsecure();
    this.#server = new Server(serverChannelOptions(options));
    this.#register(healthV1.Health, healthServiceImpl(this.health));
  }

  /** Serves `service` with `impl`; every method must have a handler. */
  add<S extends DescService>(service: S, impl: ServiceImpl<S>): this {
    if (this.#shutdown !== undefined) throw new Error(`cannot add ${service.typeName}: the server is shutting down`);
    this.#register(service, impl);
    this.health.setStatus(service.typeName, ServingStatus.SERVING);
    return this;
  }

  /** Binds `host:port` (port 0 picks a free one) and resolves with the bound port. */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, this.#credentials, (error, port) => {
        if (error) {
          reject(error);
          return;
        }
        this.health.setStatus(WHOLE_SERVER, ServingStatus.SERVING);
        this.#logger.info({ address, port }, 'rpc server listening');
        resolve(port);
      });
    });
  }

  /**
   * Reports NOT_SERVING everywhere, stops accepting calls and waits for the
   * ones in flight; after `graceMs` the rest are cut off (their handlers see
   * their signal abort). Resolves once the server is down; idempotent.
   */
  shutdown(graceMs: number): Promise<void> {
    this.#shutdown ??= new Promise<void>((resolve) => {
      this.health.enterShutdown();
      this.#logger.info({ graceMs }, 'rpc server shutting down');
      const force = setTimeout(() => {
        this.#logger.warn({ graceMs }, 'rpc server grace period over; cancelling calls in flight');
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        this.#logger.info('rpc server stopped');
        resolve();
      });
    });
    return this.#shutdown;
  }

  #register<S extends DescService>(service: S, impl: ServiceImpl<S>): void {
    const handlers: UntypedServiceImplementation = {};
    const byLocalName = impl as Record<string, ((...args: never[]) => unknown) | undefined>;
    for (const method of service.methods) {
      const handler = byLocalName[method.localName];
      if (typeof handler !== 'function') {
        throw new TypeError(`${service.typeName}: no handler for ${method.name} (expected "${method.localName}")`);
      }
      handlers[method.name] = grpcHandler(method, handler.bind(impl), {
        logger: this.#logger,
        metrics: this.#metrics.forMethod(method),
      });
    }
    this.#server.addService(grpcServiceDefinition(service), handlers);
  }
}

/** A new server; see RpcServer. */
export function createRpcServer(options: RpcServerOptions): RpcServer {
  return new RpcServer(options);
}
