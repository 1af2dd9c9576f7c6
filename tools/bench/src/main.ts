// `npm run bench -- <suite> [args]`: runs one suite from ./suites and prints its
// figures as one JSON line, last, so that scripts can read `tail -1`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchSuite {
  run(args: string[]): Promise<Record<string, unknown>>;
}

const SUITES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'suites');
const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../results');

const available = fs
  .readdirSync(SUITES_DIR)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`);
  process.exit(2);
}
const suite = (await import(path.join(SUITES_DIR, `${name}.js`))) as BenchSuite;
const started = new Date();
const figures = await suite.run(args);
const result = {
  suite: name,
  startedAt: started.toISOString(),
  seconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  ...figures,
};
fs.mkdirSync(RESULTS_DIR, { recursive: true });
fs.writeFileSync(
  path.join(RESULTS_DIR, `${name}-${started.toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify(result, null, 2),
);
console.log(JSON.stringify(result));
process.exit(0);
