import type { Metric, MetricObjectWithValues, MetricType, MetricValueWithName, Registry } from 'prom-client';

export type MetricKind = 'counter' | 'gauge' | 'histogram';
export type MetricValues = Array<MetricValueWithName<string>>;

/**
 * A metric whose values are read at scrape time from counters someone else
 * keeps (the engine's stats, the service's plain numbers), instead of being
 * pushed into prom-client on every operation. It honours what prom-client's
 * Registry needs of a metric: name, help, type, aggregator, get(), reset().
 */
export class SnapshotMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
    private readonly read: () => Promise<MetricValues>,
  ) {}

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return {
      name: this.name,
      help: this.help,
      // prom-client's typings call this a numeric enum; at run time (and in the exposition) it is the string.
      type: this.type as unknown as MetricType,
      values: await this.read(),
      aggregator: this.aggregator,
      collect: () => {},
    };
  }

  reset(): void {}

  register(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }
}

/** The exposition values of one histogram series from cumulative buckets. */
export function histogramValues(
  name: string,
  labels: Record<string, string>,
  h: { sum: number; count: number; buckets: ReadonlyArray<{ le: number; count: number }> },
): MetricValues {
  const values: MetricValues = h.buckets.map((b) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: b.le },
    value: b.count,
  }));
  values.push(
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count },
    { metricName: `${name}_sum`, labels, value: h.sum },
    { metricName: `${name}_count`, labels, value: h.count },
  );
  return values;
}
