// Large XML request bodies on the event loop and in XmlParsePool's worker: per
// body, the wall time of a parse and the longest the event loop went without
// running a 1 ms ticker meanwhile (its delay: what every other request on the
// frontend waited). Run: node --import tsx libs/frontend/scripts/xml-bench.ts [--json] [--rounds N]
//
// Bodies: a 10,000-part CompleteMultipartUpload with a CRC32 per part (S3's
// largest) and a 1,000-key DeleteObjects with 1,000-byte keys. Each round
// parses each body once here and once in the worker, alternating which goes
// first; the figures are medians over the rounds.
import { parseCompleteMultipartUpload, parseDeleteObjects } from '@platter/s3';
import { XmlParsePool, type XmlBodyParser } from '../src/http/xml-parse-pool.js';

const args = process.argv.slice(2);
const JSON_OUTPUT = args.includes('--json');
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 8;

const BODIES: Record<string, { parser: XmlBodyParser; body: Buffer }> = {
  completeMultipart10000Parts: {
    parser: 'parseCompleteMultipartUpload',
    body: Buffer.from(
      '<CompleteMultipartUpload>' +
        Array.from(
          { length: 10_000 },
          (_, i) =>
            `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${'a'.repeat(32)}"</ETag>` +
            '<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>',
        ).join('') +
        '</CompleteMultipartUpload>',
    ),
  },
  deleteObjects1000LongKeys: {
    parser: 'parseDeleteObjects',
    body: Buffer.from(
      '<Delete>' +
        Array.from(
          { length: 1_000 },
          (_, i) => `<Object><Key>${'k'.repeat(996)}${String(i).padStart(4, '0')}</Key></Object>`,
        ).join('') +
        '</Delete>',
    ),
  },
};

const HERE = { parseCompleteMultipartUpload, parseDeleteObjects };

/** Runs `parse` while a 1 ms ticker runs; its wall time and the ticker's longest gap, ms. */
async function measure(parse: () => Promise<unknown>): Promise<{ wallMs: number; loopDelayMs: number }> {
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await parse();
  const wallMs = performance.now() - t0;
  // One more tick, so that a stall that ends with the parse is seen.
  await new Promise((r) => setTimeout(r, 2));
  clearInterval(ticker);
  return { wallMs, loopDelayMs: Math.max(worst, performance.now() - last) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number): number => Math.round(x * 10) / 10;

const pool = new XmlParsePool();
const figures: Record<string, unknown> = { rounds: ROUNDS };
for (const [name, { parser, body }] of Object.entries(BODIES)) {
  await pool.parse(parser, body); // the worker starts and loads the parser
  const here: Array<{ wallMs: number; loopDelayMs: number }> = [];
  const worker: Array<{ wallMs: number; loopDelayMs: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const sides = r % 2 === 0 ? (['here', 'worker'] as const) : (['worker', 'here'] as const);
    for (const side of sides) {
      if (side === 'here') here.push(await measure(async () => HERE[parser](body)));
      else worker.push(await measure(() => pool.parse(parser, body)));
    }
  }
  const summary = (xs: typeof here) => ({
    wallMs: round1(median(xs.map((x) => x.wallMs))),
    loopDelayMs: round1(median(xs.map((x) => x.loopDelayMs))),
    worstLoopDelayMs: round1(Math.max(...xs.map((x) => x.loopDelayMs))),
  });
  figures[name] = { bytes: body.length, onTheLoop: summary(here), inTheWorker: summary(worker) };
}
await pool.close();
if (JSON_OUTPUT) console.log(JSON.stringify(figures));
else console.log(JSON.stringify(figures, null, 2));
