import type { DescMethod } from '@bufbuild/protobuf';
import { Counter, type Registry } from 'prom-client';
import { AccumulatingHistogram, type HistogramSeries } from './accumulating-histogram.js';
import { codeName, type Code } from './code.js';

/**
 * Handling-time buckets, seconds: from sub-millisecond unary calls on
 * loopback to multi-minute shard streams.
 */
export const RPC_SECONDS_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

export type RpcSide = 'server' | 'client';

type HandledLabels = 'service' | 'method' | 'code';
type MessageLabels = 'service' | 'method' | 'direction';

const CODE_COUNT = 17;

/**
 * The counts and timings of one method. Recording a call writes two array
 * slots; the counter catches up when the registry is scraped. (prom-client
 * hashes and validates labels on every update, which cost a small unary call
 * more than its protobuf decoding did.)
 */
export class MethodMetrics {
  readonly #service: string;
  readonly #method: string;
  readonly #seconds: HistogramSeries;
  readonly #handled = new Float64Array(CODE_COUNT);
  readonly #flushed = new Float64Array(CODE_COUNT);
  /** Stream messages sent and received, and as of the last flush. */
  readonly #messages = new Float64Array(2);
  readonly #messagesFlushed = new Float64Array(2);

  constructor(method: DescMethod, seconds: AccumulatingHistogram) {
    this.#service = method.parent.typeName;
    this.#method = method.name;
    this.#seconds = seconds.series({ service: this.#service, method: this.#method });
  }

  /** Records one finished call: its status and its duration from `startedAt` (a `performance.now()` reading). */
  record(code: Code, startedAt: number): void {
    this.#handled[code] = (this.#handled[code] as number) + 1;
    this.#seconds.observe((performance.now() - startedAt) / 1000);
  }

  /**
   * One message of a stream written (a request on the client side, a response
   * on the server side). A long-lived stream carries many calls' worth of
   * messages and finishes only once: counting calls alone would hide them.
   */
  messageSent(): void {
    this.#messages[0] = (this.#messages[0] as number) + 1;
  }

  /** One message of a stream read. */
  messageReceived(): void {
    this.#messages[1] = (this.#messages[1] as number) + 1;
  }

  /** Adds the stream messages counted since the last flush to `counter`. */
  flushMessagesInto(counter: Counter<MessageLabels>): void {
    flushCounts(this.#messages, this.#messagesFlushed, (i, delta) =>
      counter.inc({ service: this.#service, method: this.#method, direction: i === 0 ? 'sent' : 'received' }, delta),
    );
  }

  /** Adds the calls recorded since the last flush to `counter`. */
  flushInto(counter: Counter<HandledLabels>): void {
    flushCounts(this.#handled, this.#flushed, (code, delta) =>
      counter.inc({ service: this.#service, method: this.#method, code: codeName(code as Code) }, delta),
    );
  }
}

/** Hands `inc` every slot that grew since `flushed` was last brought level with `counts`, then levels it. */
function flushCounts(counts: Float64Array, flushed: Float64Array, inc: (slot: number, delta: number) => void): void {
  for (let i = 0; i < counts.length; i++) {
    const delta = (counts[i] as number) - (flushed[i] as number);
    if (delta === 0) continue;
    inc(i, delta);
    flushed[i] = counts[i] as number;
  }
}

/** The metric families of one side (server or client) on one registry. */
export class SideMetrics {
  readonly #seconds: AccumulatingHistogram;
  readonly #methods = new Map<DescMethod, MethodMetrics>();

  constructor(registry: Registry, side: RpcSide) {
    const handledName = `platter_rpc_${side}_handled_total`;
    const secondsName = `platter_rpc_${side}_handling_seconds`;
    const messagesName = `platter_rpc_${side}_stream_messages_total`;
    for (const name of [handledName, secondsName, messagesName]) {
      if (registry.getSingleMetric(name) !== undefined) {
        throw new Error(`${name} is already registered on this registry by someone other than @platter/rpc`);
      }
    }
    const methods = this.#methods;
    new Counter<HandledLabels>({
      name: handledName,
      help: `RPCs completed on the ${side} side, by status code.`,
      labelNames: ['service', 'method', 'code'],
      registers: [registry],
      collect() {
        for (const metrics of methods.values()) metrics.flushInto(this);
      },
    });
    new Counter<MessageLabels>({
      name: messagesName,
      help: `Messages of streaming RPCs on the ${side} side, by direction (sent or received).`,
      labelNames: ['service', 'method', 'direction'],
      registers: [registry],
      collect() {
        for (const metrics of methods.values()) metrics.flushMessagesInto(this);
      },
    });
    this.#seconds = new AccumulatingHistogram(
      secondsName,
      `Time from the start of an RPC to its status on the ${side} side, seconds.`,
      ['service', 'method'],
      RPC_SECONDS_BUCKETS,
    );
    registry.registerMetric(this.#seconds.asMetric());
  }

  forMethod(method: DescMethod): MethodMetrics {
    let metrics = this.#methods.get(method);
    if (metrics === undefined) {
      metrics = new MethodMetrics(method, this.#seconds);
      this.#methods.set(method, metrics);
    }
    return metrics;
  }
}

const BY_REGISTRY = new WeakMap<Registry, Partial<Record<RpcSide, SideMetrics>>>();

/**
 * The RPC metrics of one side on a registry, created on first use. Every
 * server and client on the same registry shares them, so creating many never
 * registers a name twice.
 */
export function rpcMetrics(registry: Registry, side: RpcSide): SideMetrics {
  let sides = BY_REGISTRY.get(registry);
  if (sides === undefined) {
    sides = {};
    BY_REGISTRY.set(registry, sides);
  }
  return (sides[side] ??= new SideMetrics(registry, side));
}
