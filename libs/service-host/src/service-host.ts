import type { Etcd3 } from 'etcd3';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import { Keyspace, MemberView, Membership, connectEtcd, type MemberRecord, type Role, ROLES } from '@platter/cluster';
import { createRpcServer, type RpcServer } from '@platter/rpc';
import {
  Shutdown,
  createLogger,
  createMetricsRegistry,
  startAdminServer,
  type AdminServer,
  type Logger,
} from '@platter/telemetry';
import type { BaseConfig } from './config.js';

export interface ServiceHostOptions {
  role: Role;
  config: BaseConfig;
  version: string;
  /** Replaces process.exit, for tests. */
  exit?: (code: number) => void;
}

/**
 * What every Platter process has: logger, metrics, etcd, a gRPC server with
 * health, the admin HTTP server, membership under a lease, and one shutdown
 * sequence driven by one AbortSignal. Each app's main.ts creates a host, adds
 * its own services and workers, then calls serve().
 */
export class ServiceHost {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly shutdown: Shutdown;
  readonly etcd: Etcd3;
  readonly keyspace: Keyspace;
  readonly rpc: RpcServer;
  readonly membership: Membership;
  private members?: MemberView;
  private admin?: AdminServer;
  private grpcPort?: number;
  private serving = false;

  private constructor(readonly options: ServiceHostOptions) {
    const { role, config } = options;
    this.logger = createLogger({ service: role, instance: config.id, level: config.logLevel });
    this.logger.info({ step: 'config', config: { ...config } }, 'configuration loaded');
    this.registry = createMetricsRegistry({ service: role, instance: config.id });
    this.shutdown = new Shutdown({ logger: this.logger, graceMs: config.shutdownGraceMs, exit: options.exit });
    this.shutdown.installSignalHandlers();
    this.shutdown.onShutdown('flush logs', () => this.logger.flush());
    this.etcd = connectEtcd(config.etcdEndpoints);
    this.keyspace = new Keyspace(config.etcdPrefix);
    this.shutdown.onShutdown('close etcd client', () => this.etcd.close());
    this.logger.info({ step: 'etcd', endpoints: config.etcdEndpoints }, 'etcd client created');
    this.membership = new Membership({
      etcd: this.etcd,
      keyspace: this.keyspace,
      logger: this.logger.child({ component: 'membership' }),
      ttlSeconds: config.leaseTtlSeconds,
    });
    this.rpc = createRpcServer({ logger: this.logger.child({ component: 'rpc' }), registry: this.registry });
  }

  static create(options: ServiceHostOptions): ServiceHost {
    return new ServiceHost(options);
  }

  get signal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** The live view of every member of the cluster, opened by serve(). */
  get memberView(): MemberView {
    if (!this.members) throw new Error('memberView is available after serve()');
    return this.members;
  }

  get grpcAddress(): string {
    const { config } = this.options;
    return `${config.advertiseHost ?? config.grpcHost}:${this.grpcPort ?? config.grpcPort}`;
  }

  get adminUrl(): string | undefined {
    return this.admin?.url;
  }

  /**
   * Binds the gRPC and admin servers, registers this process in etcd, and
   * reports SERVING. Services and workers must be added before.
   */
  async serve(): Promise<void> {
    const { role, config, version } = this.options;
    const log = this.logger;

    this.grpcPort = await this.rpc.listen(`${config.grpcHost}:${config.grpcPort}`);
    this.shutdown.onShutdown('stop gRPC server', () => this.rpc.shutdown(config.shutdownGraceMs));
    log.info({ step: 'grpc', address: this.grpcAddress }, 'gRPC server listening');

    this.admin = await startAdminServer({
      host: config.adminHost,
      port: config.adminPort,
      registry: this.registry,
      logger: log.child({ component: 'admin' }),
      liveness: () => ({ ok: true }),
      readiness: () => ({
        ok: this.serving,
        checks: {
          grpc: { ok: this.serving },
          membership: {
            ok: this.membership.registered,
            detail: this.membership.registered ? 'registered' : 'not registered',
          },
        },
      }),
    });
    this.shutdown.onShutdown('close admin server', () => this.admin?.close());
    log.info({ step: 'admin', url: this.admin.url }, 'admin server listening');

    this.members = await MemberView.open({
      etcd: this.etcd,
      keyspace: this.keyspace,
      logger: log.child({ component: 'member-view' }),
    });
    this.shutdown.onShutdown('close member view', () => this.members?.close());
    this.exportMemberCounts(this.members);

    const record: MemberRecord = {
      role,
      id: config.id,
      grpcAddress: this.grpcAddress,
      adminUrl: this.admin.url,
      labels: { zone: config.zone, rack: config.rack, host: config.host },
      version,
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    await this.membership.register(record);
    this.shutdown.onShutdown('revoke membership lease', () => this.membership.close());
    log.info({ step: 'membership', role, id: config.id, ttlSeconds: config.leaseTtlSeconds }, 'registered in etcd');

    this.serving = true;
    // Registered last, so it runs first on SIGTERM: load balancers and
    // probes stop sending work before anything else is torn down.
    this.shutdown.onShutdown('report NOT_SERVING', () => {
      this.serving = false;
      this.rpc.health.enterShutdown();
    });
    log.info({ step: 'serving', role, id: config.id }, 'serving');
  }

  // Members by role, as this process sees them: the cheapest way for an
  // operator (and the membership test) to see what the live view holds.
  private exportMemberCounts(view: MemberView): void {
    const gauge = new Gauge({
      name: 'platter_cluster_members',
      help: 'Live members of the cluster by role, as seen by this process',
      labelNames: ['role'],
      registers: [this.registry],
    });
    const update = (): void => {
      const counts = new Map<string, number>(ROLES.map((r) => [r, 0]));
      for (const m of view.members()) counts.set(m.role, (counts.get(m.role) ?? 0) + 1);
      for (const [r, n] of counts) gauge.set({ role: r }, n);
    };
    update();
    view.on('change', update);
  }
}
