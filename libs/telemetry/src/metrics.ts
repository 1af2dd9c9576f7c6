import { collectDefaultMetrics, Registry } from 'prom-client';

export interface CreateMetricsRegistryOptions {
  service: string;
  instance?: string;
}

/**
 * A fresh registry (never prom-client's global one, so two services in one
 * test process do not collide) with the default process/Node metrics and
 * `service`/`instance` labels on every series.
 */
export function createMetricsRegistry(opts: CreateMetricsRegistryOptions): Registry {
  const registry = new Registry();
  const labels: Record<string, string> = { service: opts.service };
  if (opts.instance !== undefined) labels['instance'] = opts.instance;
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
