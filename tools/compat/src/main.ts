// `npm run compat [-- aws-cli rclone s3cmd]`: starts a fresh local cluster on
// free ports, runs each real S3 client's session against it (clients.ts),
// prints a table, then one JSON line last. Exits 1 when a step failed or a
// client is missing: a client that is not installed is a failure with the
// line that installs it, never a silent skip.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalCluster } from '@platter/testkit';
import { awsCli, rclone, s3cmd, type Files, type Target } from './clients.js';
import { runScenario, type Scenario, type ScenarioResult } from './scenario.js';

const MiB = 2 ** 20;
/** Over every client's multipart threshold once told 5 MiB parts (aws-cli's default threshold is 8 MiB). */
const BIG_BYTES = 24 * MiB;
const SMALL_BYTES = 100 * 1024;

const CLIENTS: Record<string, { binary: string; install: string; scenario: (t: Target, f: Files) => Scenario }> = {
  'aws-cli': { binary: 'aws', install: 'apt-get install awscli (or pip install awscli)', scenario: awsCli },
  rclone: { binary: 'rclone', install: 'apt-get install rclone', scenario: rclone },
  s3cmd: { binary: 's3cmd', install: 'apt-get install s3cmd', scenario: s3cmd },
};

function installed(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function makeFiles(dir: string): Files {
  const f: Files = {
    small: path.join(dir, 'small.bin'),
    big: path.join(dir, 'big.bin'),
    tree: path.join(dir, 'tree'),
    treeFiles: ['a.txt', 'b.bin', 'sub/c.txt', 'sub/with space.txt'],
    out: path.join(dir, 'out'),
    config: path.join(dir, 'config'),
  };
  writeFileSync(f.small, randomBytes(SMALL_BYTES));
  // Written a mebibyte at a time: the tool streams, like everything else.
  for (let at = 0; at < BIG_BYTES; at += MiB) writeFileSync(f.big, randomBytes(MiB), { flag: at === 0 ? 'w' : 'a' });
  for (const name of f.treeFiles) {
    mkdirSync(path.dirname(path.join(f.tree, name)), { recursive: true });
    writeFileSync(path.join(f.tree, name), name.endsWith('.bin') ? randomBytes(200 * 1024) : `${name}\n`);
  }
  mkdirSync(f.out, { recursive: true });
  mkdirSync(f.config, { recursive: true });
  return f;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((c) => !(c in CLIENTS));
if (unknown.length > 0) {
  console.error(`unknown client(s) ${unknown.join(', ')}; known: ${Object.keys(CLIENTS).join(', ')}`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : Object.keys(CLIENTS);
const work = mkdtempSync(path.join(os.tmpdir(), 'platter-compat-'));
const started = Date.now();
const results: ScenarioResult[] = [];
const missing: Array<{ client: string; install: string }> = [];
const cluster = await startLocalCluster();
try {
  const target: Target = {
    endpoint: cluster.endpoint,
    region: cluster.region,
    accessKeyId: cluster.credentials.accessKeyId,
    secretAccessKey: cluster.credentials.secretAccessKey,
  };
  const files = makeFiles(work);
  for (const name of names) {
    const c = CLIENTS[name]!;
    if (!installed(c.binary)) {
      missing.push({ client: name, install: c.install });
      continue;
    }
    const r = await runScenario(c.scenario(target, files));
    results.push(r);
    console.log(`\n${r.client} (${r.version}): ${r.passed} passed, ${r.failed} failed`);
    for (const s of r.steps)
      console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.step} (${s.seconds.toFixed(1)} s)${s.error ? `: ${s.error}` : ''}`);
  }
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
for (const m of missing) console.log(`\n${m.client}: not installed (${m.install})`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0) + missing.length;
console.log(
  JSON.stringify({
    tool: 'compat',
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    clients: results.map((r) => ({ client: r.client, version: r.version, passed: r.passed, failed: r.failed })),
    missing: missing.map((m) => m.client),
    passed,
    failed,
  }),
);
process.exit(failed === 0 ? 0 : 1);
