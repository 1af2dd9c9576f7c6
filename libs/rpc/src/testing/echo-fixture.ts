// Test support: an EchoService implementation and a server started on a free
// loopback port. Not part of the build (see tsconfig.json).
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { testingV1Echo } from '@platter/proto';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { isCode, type Code } from '../code.js';
import { RpcError } from '../rpc-error.js';
import { createRpcServer, type RpcServer } from '../rpc-server.js';
import type { ServiceImpl } from '../types.js';

export const MIB = 1024 * 1024;

/** Payload patterns: a few immutable buffers reused for every message (writes may be queued, so never mutate one). */
export function patterns(size: number, count = 4): Buffer[] {
  return Array.from({ length: count }, (_, j) => {
    const buffer = Buffer.allocUnsafe(size);
    for (let k = 0; k < size; k++) buffer[k] = (k * (j + 3) + j) & 0xff;
    return buffer;
  });
}

/** An order-sensitive digest of a few sampled bytes and the length of each chunk: cheap, catches reordering and truncation. */
export function digest(previous: number, chunk: Uint8Array): number {
  const n = chunk.byteLength;
  let h = Math.imul(previous ^ n, 16777619);
  h = Math.imul(h ^ (chunk[0] ?? 0), 16777619);
  h = Math.imul(h ^ (chunk[n >> 1] ?? 0), 16777619);
  h = Math.imul(h ^ (chunk[n - 1] ?? 0), 16777619);
  return h >>> 0;
}

export interface UploadSeen {
  name: string;
  bytes: number;
  messages: number;
  digest: number;
}

export interface EchoObservations {
  echoCalls: number;
  /** Echo requests (by text) whose handler saw its signal abort, with the reason. */
  aborts: { text: string; reason: unknown }[];
  uploads: UploadSeen[];
}

export function newObservations(): EchoObservations {
  return { echoCalls: 0, aborts: [], uploads: [] };
}

/** EchoService as echo.proto describes it, recording what tests need to see. */
export function echoImpl(seen: EchoObservations): ServiceImpl<typeof testingV1Echo.EchoService> {
  const bySize = new Map<number, Buffer[]>();
  const patternsOf = (size: number): Buffer[] => {
    let found = bySize.get(size);
    if (found === undefined) bySize.set(size, (found = patterns(size)));
    return found;
  };
  return {
    async echo(request, context) {
      seen.echoCalls++;
      if (request.delayMs > 0) {
        try {
          await sleep(request.delayMs, undefined, { signal: context.signal });
        } catch (error) {
          seen.aborts.push({ text: request.text, reason: context.signal.reason });
          throw error;
        }
      }
      if (request.failCode !== 0) {
        if (!isCode(request.failCode)) throw new Error(`not a status code: ${request.failCode}`);
        throw new RpcError(request.failCode as Code, `failing with ${request.failCode} as asked`);
      }
      return { text: request.text };
    },
    async upload(requests) {
      const upload: UploadSeen = { name: '', bytes: 0, messages: 0, digest: 0 };
      for await (const request of requests) {
        upload.messages++;
        if (request.payload.case === 'header') upload.name = request.payload.value.name;
        if (request.payload.case === 'data') {
          upload.bytes += request.payload.value.byteLength;
          upload.digest = digest(upload.digest, request.payload.value);
        }
      }
      seen.uploads.push(upload);
      return { name: upload.name, bytes: BigInt(upload.bytes), messages: upload.messages };
    },
    async *download(request) {
      const chunkSize = request.chunkSize === 0 ? MIB : request.chunkSize;
      const chunks = patternsOf(chunkSize);
      let offset = 0n;
      for (let i = 0; offset < request.bytes; i++) {
        const size = Number(request.bytes - offset < BigInt(chunkSize) ? request.bytes - offset : BigInt(chunkSize));
        const pattern = chunks[i % chunks.length] as Buffer;
        yield { offset, data: pattern.subarray(0, size) };
        offset += BigInt(size);
      }
    },
    async *chat(requests) {
      for await (const request of requests) yield { text: `echo: ${request.text}` };
    },
  };
}

export interface LogCapture {
  logger: Logger;
  records: Record<string, unknown>[];
}

/** A pino logger whose JSON lines are kept in memory. */
export function captureLogs(): LogCapture {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), records };
}

export interface RunningServer {
  server: RpcServer;
  address: string;
  port: number;
  registry: Registry;
  logs: LogCapture;
  seen: EchoObservations;
  stop(): Promise<void>;
}

/** An RpcServer with EchoService (or what `setup` adds) on 127.0.0.1, a free port unless one is given. */
export async function startEchoServer(
  options: { port?: number; setup?: (server: RpcServer, seen: EchoObservations) => void; registry?: Registry } = {},
): Promise<RunningServer> {
  const logs = captureLogs();
  const registry = options.registry ?? new Registry();
  const server = createRpcServer({ logger: logs.logger, registry });
  const seen = newObservations();
  if (options.setup) options.setup(server, seen);
  else server.add(testingV1Echo.EchoService, echoImpl(seen));
  const port = await server.listen(`127.0.0.1:${options.port ?? 0}`);
  return {
    server,
    address: `127.0.0.1:${port}`,
    port,
    registry,
    logs,
    seen,
    stop: () => server.shutdown(1_000),
  };
}

/** Messages of an async iterable, collected. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
