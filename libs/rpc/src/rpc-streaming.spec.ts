import { setTimeout as sleep } from 'node:timers/promises';
import { testingV1Echo } from '@platter/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseAfterCopy } from './bulk-codec.js';
import { createRpcClient } from './rpc-client.js';
import {
  collect,
  digest,
  echoImpl,
  MIB,
  patterns,
  startEchoServer,
  type RunningServer,
} from './testing/echo-fixture.js';
import type { RpcClient } from './types.js';

type UploadInit = { payload: { case: 'header'; value: { name: string } } | { case: 'data'; value: Uint8Array } };

/** A header, then `count` messages of 1 MiB drawn from a few reused buffers. */
async function* uploadStream(name: string, count: number, chunks: Buffer[]): AsyncGenerator<UploadInit> {
  yield { payload: { case: 'header', value: { name } } };
  for (let i = 0; i < count; i++) yield { payload: { case: 'data', value: chunks[i % chunks.length] as Buffer } };
}

function expectedDigest(count: number, chunks: Buffer[]): number {
  let h = 0;
  for (let i = 0; i < count; i++) h = digest(h, chunks[i % chunks.length] as Buffer);
  return h;
}

/** Runs `work` while sampling RSS; returns the peak growth over the RSS measured just before, bytes. */
async function peakRssGrowth(work: () => Promise<void>): Promise<number> {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, process.memoryUsage.rss()) - baseline;
}

const STREAM_MIB = 256;
/** Allowed RSS growth while 256 MiB go through, bytes: what backpressure must keep us under. */
const RSS_BUDGET_BYTES = 128 * MIB;

describe('streaming over loopback', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  const chunks = patterns(MIB);

  beforeAll(async () => {
    running = await startEchoServer();
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 120_000 });
    // Warm up so that the baseline already includes grpc-js and HTTP/2 steady-state buffers.
    await client.upload(uploadStream('warm-up', 32, chunks));
    let warm = 0;
    for await (const message of client.download({ bytes: BigInt(32 * MIB), chunkSize: MIB }))
      warm += message.data.byteLength;
    expect(warm).toBe(32 * MIB);
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  it('uploads 256 MiB in 1 MiB messages with bounded memory, intact and in order', async () => {
    let response: Awaited<ReturnType<typeof client.upload>> | undefined;
    const growth = await peakRssGrowth(async () => {
      response = await client.upload(uploadStream('big', STREAM_MIB, chunks));
    });
    expect(response?.name).toBe('big');
    expect(response?.bytes).toBe(BigInt(STREAM_MIB * MIB));
    expect(response?.messages).toBe(STREAM_MIB + 1);
    const seen = running.seen.uploads.at(-1);
    expect(seen?.digest).toBe(expectedDigest(STREAM_MIB, chunks));
    expect(growth).toBeLessThan(RSS_BUDGET_BYTES);
  });

  it('downloads 256 MiB in 1 MiB messages with bounded memory, intact and in order', async () => {
    let bytes = 0;
    let h = 0;
    let nextOffset = 0n;
    const growth = await peakRssGrowth(async () => {
      for await (const message of client.download({ bytes: BigInt(STREAM_MIB * MIB), chunkSize: MIB })) {
        expect(message.offset).toBe(nextOffset);
        nextOffset += BigInt(message.data.byteLength);
        bytes += message.data.byteLength;
        h = digest(h, message.data);
      }
    });
    expect(bytes).toBe(STREAM_MIB * MIB);
    expect(h).toBe(expectedDigest(STREAM_MIB, chunks));
    expect(growth).toBeLessThan(RSS_BUDGET_BYTES);
  });

  it('echoes a bidirectional stream message by message', async () => {
    async function* requests() {
      for (const text of ['a', 'b', 'c']) yield { text };
    }
    const responses = await collect(client.chat(requests()));
    expect(responses.map((r) => r.text)).toEqual(['echo: a', 'echo: b', 'echo: c']);
  });

  it('answers a bidirectional stream as it goes, not only after the requests end', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* requests() {
      yield { text: 'first' };
      await gate; // the second request waits for the first answer
      yield { text: 'second' };
    }
    const texts: string[] = [];
    for await (const response of client.chat(requests())) {
      texts.push(response.text);
      release();
    }
    expect(texts).toEqual(['echo: first', 'echo: second']);
  });
});

describe('payloads lent by a server stream', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  const chunks = patterns(MIB);
  const stats = { released: 0, maxLent: 0 };

  beforeAll(async () => {
    running = await startEchoServer({
      setup: (server, seen) => {
        server.add(testingV1Echo.EchoService, {
          ...echoImpl(seen),
          // Two buffers only, refilled the moment a release says grpc-js has copied one out:
          // a release that came before the copy would send the next message's bytes.
          async *download(request) {
            const free = [Buffer.allocUnsafe(MIB), Buffer.allocUnsafe(MIB)];
            let lent = 0;
            let wake: (() => void) | undefined;
            for (let i = 0; i < Number(request.bytes) / MIB; i++) {
              while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
              const buf = free.pop()!;
              (chunks[i % chunks.length] as Buffer).copy(buf);
              stats.maxLent = Math.max(stats.maxLent, ++lent);
              yield releaseAfterCopy({ offset: BigInt(i * MIB), data: buf }, () => {
                buf.fill(0xee);
                stats.released++;
                lent--;
                free.push(buf);
                wake?.();
              });
            }
          },
        });
      },
    });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 60_000 });
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  it('sends every message intact while its buffer is reused right after the release', async () => {
    const MESSAGES = 64;
    let i = 0;
    for await (const message of client.download({ bytes: BigInt(MESSAGES * MIB) })) {
      expect(message.offset).toBe(BigInt(i * MIB));
      expect(Buffer.compare(message.data, chunks[i % chunks.length] as Buffer)).toBe(0);
      i++;
    }
    expect(i).toBe(MESSAGES);
    expect(stats.released).toBe(MESSAGES);
    expect(stats.maxLent).toBe(2);
  });
});

describe('backpressure', () => {
  let running: RunningServer;
  let client: RpcClient<typeof testingV1Echo.EchoService>;
  const chunks = patterns(MIB);
  const progress = { produced: 0, consumed: 0, maxLead: 0 };
  const note = (): void => {
    progress.maxLead = Math.max(progress.maxLead, progress.produced - progress.consumed);
  };

  beforeAll(async () => {
    running = await startEchoServer({
      setup: (server, seen) => {
        const plain = echoImpl(seen);
        server.add(testingV1Echo.EchoService, {
          ...plain,
          async *download(request) {
            for (let i = 0; i < Number(request.bytes) / MIB; i++) {
              progress.produced++;
              note();
              yield { offset: BigInt(i * MIB), data: chunks[i % chunks.length] as Buffer };
            }
          },
          async upload(requests) {
            let messages = 0;
            for await (const _request of requests) {
              messages++;
              progress.consumed++;
              note();
              await sleep(2);
            }
            return { messages };
          },
        });
      },
    });
    client = createRpcClient(testingV1Echo.EchoService, running.address, { defaultTimeoutMs: 60_000 });
  });

  afterAll(async () => {
    client.close();
    await running.stop();
  });

  // Without backpressure the producer would run the whole stream (200 messages) ahead of a consumer this slow.
  const MESSAGES = 200;
  /** Most messages a producer may run ahead: stream buffers (16 objects a side) plus HTTP/2 windows. */
  const MAX_LEAD = 64;

  it('holds a server-stream producer to the pace of a slow client', async () => {
    Object.assign(progress, { produced: 0, consumed: 0, maxLead: 0 });
    for await (const _message of client.download({ bytes: BigInt(MESSAGES * MIB) })) {
      progress.consumed++;
      note();
      await sleep(2);
    }
    expect(progress.consumed).toBe(MESSAGES);
    expect(progress.maxLead).toBeLessThan(MAX_LEAD);
  });

  it('holds a client-stream producer to the pace of a slow handler', async () => {
    Object.assign(progress, { produced: 0, consumed: 0, maxLead: 0 });
    async function* requests(): AsyncGenerator<UploadInit> {
      for (let i = 0; i < MESSAGES; i++) {
        progress.produced++;
        note();
        yield { payload: { case: 'data', value: chunks[i % chunks.length] as Buffer } };
      }
    }
    const response = await client.upload(requests());
    expect(response.messages).toBe(MESSAGES);
    expect(progress.maxLead).toBeLessThan(MAX_LEAD);
  });
});
