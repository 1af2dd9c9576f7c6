import type { Metric, MetricObjectWithValues, MetricType, MetricValueWithName } from 'prom-client';

/**
 * One label set of an AccumulatingHistogram. `observe` is a few array writes:
 * prom-client's own Histogram hashes and validates the labels on every
 * observation, which costs about as much as a small RPC's protobuf decoding.
 */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/**
 * A Prometheus histogram that prom-client's Registry exposes like its own:
 * it honours the contract Registry relies on (`name`, `help`, `type`,
 * `aggregator`, `get()` in the shape `Histogram.get()` returns, `reset()`),
 * while observations go to plain per-series arrays.
 */
export class AccumulatingHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series: HistogramSeries[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {}

  /** The series for one label set; call once per label set and keep it. */
  series(labels: Record<string, string>): HistogramSeries {
    const series = new HistogramSeries(labels, this.bounds);
    this.#series.push(series);
    return series;
  }

  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.#series) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: `${this.name}_bucket` },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return {
      name: this.name,
      help: this.help,
      // prom-client's typings call this a numeric enum; at run time (and in the exposition) it is the string.
      type: this.type as unknown as MetricType,
      values,
      aggregator: this.aggregator,
      collect: () => {},
    };
  }

  reset(): void {
    for (const series of this.#series) series.reset();
  }

  /** prom-client's Registry types only its own classes; at run time it needs no more than the above. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
