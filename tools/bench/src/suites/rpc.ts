// RPC suite: what libs/rpc costs over grpc-js used by hand.
//
// In one process, over loopback, the same two workloads run through the
// adapter (protobuf-es messages, typed server and client, deadlines, metrics)
// and through raw grpc-js with identity Buffer serializers:
//   - unary calls/s: a 6-byte EchoRequest, UNARY_CONCURRENCY calls in flight;
//   - streaming MB/s (1 MB = 10^6 bytes): client-stream uploads of 1 MiB messages.
// Raw calls carry a deadline too, as every call in Platter must; both sides
// use the adapter's channel options, so the difference is the adapter alone.
// Rounds alternate adapter and raw (in swapped order each round); rates are
// medians over rounds, and comparisons the median of per-round ratios, so
// drift on a noisy machine favours neither side.
//
// Args: --rounds=<default 8> --unary-seconds=<per round, default 1>
// --stream-seconds=<per round, default 1.5> --only=<unary|stream>.
// This file and libs/rpc are the only places allowed to call addService and
// makeGenericClientConstructor; here they build the baseline.
import {
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type Client,
  type ClientWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { testingV1Echo } from '@platter/proto';
import {
  clientChannelOptions,
  createRpcClient,
  createRpcServer,
  messageCodec,
  serverChannelOptions,
  type RpcClient,
  type RpcServer,
} from '@platter/rpc';
import { pino } from 'pino';
import { Registry } from 'prom-client';

const MIB = 1024 * 1024;
/** Unary calls kept in flight: enough to keep both ends of one connection busy. */
const UNARY_CONCURRENCY = 32;
/** Messages per upload call (64 MiB), so that call setup is a small part of a stream. */
const MESSAGES_PER_UPLOAD = 64;
/** Deadline of every benchmark call, ms: far beyond any call here, present because every call has one. */
const CALL_TIMEOUT_MS = 60_000;
/** Warm-up per workload and side before the first round, ms: lets the JIT settle. */
const WARM_UP_MS = 1_000;
/**
 * Rounds and seconds per round: 8 × 1 s of unary and 8 × 1.5 s of streaming
 * per side, about 45 s in all. Many short alternating rounds beat a few long
 * ones on a shared machine.
 */
const DEFAULT_ROUNDS = 8;
const DEFAULT_UNARY_SECONDS = 1;
const DEFAULT_STREAM_SECONDS = 1.5;

const identity = (buffer: Buffer): Buffer => buffer;

/** The baseline contract: same paths and shapes as EchoService's Echo and Upload, bytes in and out. */
const RAW_SERVICE: ServiceDefinition = {
  echo: {
    path: '/bench.v1.RawService/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  upload: {
    path: '/bench.v1.RawService/Upload',
    requestStream: true,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

type RawClient = Client & {
  echo(
    request: Buffer,
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: Buffer) => void,
  ): void;
  upload(
    options: { deadline: number },
    callback: (error: ServiceError | null, response?: Buffer) => void,
  ): ClientWritableStream<Buffer>;
};

interface Side {
  unary(): Promise<unknown>;
  upload(messages: number): Promise<unknown>;
}

interface Args {
  unarySeconds: number;
  streamSeconds: number;
  rounds: number;
  unary: boolean;
  stream: boolean;
}

function parseArgs(args: string[]): Args {
  const value = (name: string, fallback: number): number => {
    const arg = args.find((a) => a.startsWith(`--${name}=`));
    const parsed = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
    return parsed;
  };
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && only !== 'unary' && only !== 'stream') throw new Error('--only must be unary or stream');
  return {
    unarySeconds: value('unary-seconds', DEFAULT_UNARY_SECONDS),
    streamSeconds: value('stream-seconds', DEFAULT_STREAM_SECONDS),
    rounds: Math.round(value('rounds', DEFAULT_ROUNDS)),
    unary: only !== 'stream',
    stream: only !== 'unary',
  };
}

async function startAdapter(
  chunk: Buffer,
): Promise<{ side: Side; server: RpcServer; client: RpcClient<typeof testingV1Echo.EchoService> }> {
  const server = createRpcServer({ logger: pino({ level: 'warn' }), registry: new Registry() });
  server.add(testingV1Echo.EchoService, {
    async echo(request) {
      return { text: request.text };
    },
    async upload(requests) {
      let bytes = 0;
      let messages = 0;
      for await (const request of requests) {
        messages++;
        if (request.payload.case === 'data') bytes += request.payload.value.byteLength;
      }
      return { bytes: BigInt(bytes), messages };
    },
    async *download() {},
    async *chat() {},
  });
  const port = await server.listen('127.0.0.1:0');
  const client = createRpcClient(testingV1Echo.EchoService, `127.0.0.1:${port}`, {
    defaultTimeoutMs: CALL_TIMEOUT_MS,
    registry: new Registry(),
  });
  async function* uploadMessages(messages: number) {
    yield { payload: { case: 'header' as const, value: { name: 'bench' } } };
    for (let i = 0; i < messages; i++) yield { payload: { case: 'data' as const, value: chunk } };
  }
  return {
    server,
    client,
    side: {
      unary: () => client.echo({ text: 'ping' }),
      upload: (messages) => client.upload(uploadMessages(messages)),
    },
  };
}

async function startRaw(chunk: Buffer): Promise<{ side: Side; server: Server; client: RawClient }> {
  const server = new Server(serverChannelOptions());
  server.addService(RAW_SERVICE, {
    echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, call.request),
    upload: (call: ServerReadableStream<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      let bytes = 0;
      call.on('data', (message: Buffer) => (bytes += message.byteLength));
      call.on('end', () => callback(null, Buffer.from(String(bytes))));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const Constructor = makeGenericClientConstructor(RAW_SERVICE, 'RawService');
  const client = new Constructor(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
    clientChannelOptions(),
  ) as unknown as RawClient;
  // The same bytes the adapter sends for EchoRequest { text: 'ping' }.
  const request = messageCodec(testingV1Echo.EchoRequestSchema).encode({ text: 'ping' });
  return {
    server,
    client,
    side: {
      unary: () =>
        new Promise((resolve, reject) =>
          client.echo(request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
            error ? reject(error) : resolve(response),
          ),
        ),
      upload: (messages) =>
        new Promise((resolve, reject) => {
          const call = client.upload({ deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
            error ? reject(error) : resolve(response),
          );
          let sent = 0;
          const pump = (): void => {
            while (sent < messages) {
              sent++;
              if (!call.write(chunk)) {
                call.once('drain', pump);
                return;
              }
            }
            call.end();
          };
          pump();
        }),
    },
  };
}

interface Rate {
  /** Operations (calls, or MB) per wall-clock second. */
  perSecond: number;
  /** Process CPU time (user + system, both ends of the connection) per operation, µs. */
  cpuMicros: number;
}

/** Runs `work` and relates its count of operations to wall time and to the CPU time the process used. */
async function rate(work: () => Promise<number>): Promise<Rate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const operations = await work();
  const used = process.cpuUsage(cpu);
  return {
    perSecond: operations / ((performance.now() - started) / 1000),
    cpuMicros: (used.user + used.system) / operations,
  };
}

/** Unary calls over `ms` with UNARY_CONCURRENCY in flight. */
function unaryRate(side: Side, ms: number): Promise<Rate> {
  return rate(async () => {
    const end = performance.now() + ms;
    let calls = 0;
    await Promise.all(
      Array.from({ length: UNARY_CONCURRENCY }, async () => {
        while (performance.now() < end) {
          await side.unary();
          calls++;
        }
      }),
    );
    return calls;
  });
}

/** Payload MB (10^6 bytes) uploaded over at least `ms`, in 64 MiB calls. */
function uploadRate(side: Side, ms: number): Promise<Rate> {
  return rate(async () => {
    const started = performance.now();
    let bytes = 0;
    while (performance.now() - started < ms) {
      await side.upload(MESSAGES_PER_UPLOAD);
      bytes += MESSAGES_PER_UPLOAD * MIB;
    }
    return bytes / 1e6;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Runs `measure` for adapter and raw, alternating which goes first. */
async function compare(
  rounds: number,
  adapter: Side,
  raw: Side,
  measure: (side: Side) => Promise<Rate>,
): Promise<{ adapter: Rate[]; raw: Rate[] }> {
  const results = { adapter: [] as Rate[], raw: [] as Rate[] };
  for (let round = 0; round < rounds; round++) {
    const order: Array<['adapter' | 'raw', Side]> =
      round % 2 === 0
        ? [
            ['adapter', adapter],
            ['raw', raw],
          ]
        : [
            ['raw', raw],
            ['adapter', adapter],
          ];
    for (const [name, side] of order) results[name].push(await measure(side));
  }
  return results;
}

const perSecond = (rates: Rate[]): number => median(rates.map((r) => r.perSecond));
const cpuMicros = (rates: Rate[]): number => median(rates.map((r) => r.cpuMicros));

/**
 * Median over rounds of `of(adapter) / of(raw)` within the same round: the two
 * ran back to back, so each ratio sees nearly the same machine, and drift
 * between rounds cancels out.
 */
function pairedRatio(results: { adapter: Rate[]; raw: Rate[] }, of: (rate: Rate) => number): number {
  return median(results.adapter.map((rate, i) => of(rate) / of(results.raw[i] as Rate)));
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { unarySeconds, streamSeconds, rounds, unary: runUnary, stream: runStream } = parseArgs(args);
  const chunk = Buffer.alloc(MIB, 0x5a);
  const adapter = await startAdapter(chunk);
  const raw = await startRaw(chunk);
  try {
    const figures: Record<string, unknown> = { suite: 'rpc' };
    if (runUnary) {
      for (const side of [adapter.side, raw.side]) await unaryRate(side, WARM_UP_MS);
      const unary = await compare(rounds, adapter.side, raw.side, (side) => unaryRate(side, unarySeconds * 1000));
      const rateAdapter = perSecond(unary.adapter);
      const rateRaw = perSecond(unary.raw);
      const cpuAdapter = cpuMicros(unary.adapter);
      const cpuRaw = cpuMicros(unary.raw);
      Object.assign(figures, {
        unary_calls_per_s_adapter: Math.round(rateAdapter),
        unary_calls_per_s_raw: Math.round(rateRaw),
        // Extra cost per call through the adapter, percent of the raw cost (a call costs 1/rate).
        unary_overhead_pct: round1((1 / pairedRatio(unary, (r) => r.perSecond) - 1) * 100),
        // The same in CPU time per call (both ends, one process): far less
        // sensitive than wall time to other work on the machine.
        unary_cpu_us_per_call_adapter: round1(cpuAdapter),
        unary_cpu_us_per_call_raw: round1(cpuRaw),
        unary_cpu_overhead_pct: round1((pairedRatio(unary, (r) => r.cpuMicros) - 1) * 100),
        unary_concurrency: UNARY_CONCURRENCY,
        unary_rounds_adapter: unary.adapter.map((r) => Math.round(r.perSecond)),
        unary_rounds_raw: unary.raw.map((r) => Math.round(r.perSecond)),
      });
    }
    if (runStream) {
      for (const side of [adapter.side, raw.side]) await uploadRate(side, WARM_UP_MS);
      const stream = await compare(rounds, adapter.side, raw.side, (side) => uploadRate(side, streamSeconds * 1000));
      const rateAdapter = perSecond(stream.adapter);
      const rateRaw = perSecond(stream.raw);
      const cpuAdapter = cpuMicros(stream.adapter);
      const cpuRaw = cpuMicros(stream.raw);
      Object.assign(figures, {
        stream_mb_per_s_adapter: round1(rateAdapter),
        stream_mb_per_s_raw: round1(rateRaw),
        stream_ratio: round3(pairedRatio(stream, (r) => r.perSecond)),
        stream_cpu_us_per_mb_adapter: round1(cpuAdapter),
        stream_cpu_us_per_mb_raw: round1(cpuRaw),
        // Raw CPU per MB over adapter CPU per MB: the throughput ratio one core would see.
        stream_cpu_ratio: round3(1 / pairedRatio(stream, (r) => r.cpuMicros)),
        stream_message_bytes: MIB,
        stream_rounds_adapter: stream.adapter.map((r) => round1(r.perSecond)),
        stream_rounds_raw: stream.raw.map((r) => round1(r.perSecond)),
      });
    }
    return { ...figures, rounds, unary_seconds_per_round: unarySeconds, stream_seconds_per_round: streamSeconds };
  } finally {
    adapter.client.close();
    raw.client.close();
    await adapter.server.shutdown(1_000);
    await new Promise<void>((resolve) => raw.server.tryShutdown(() => resolve()));
  }
}
