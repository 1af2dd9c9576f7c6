#!/usr/bin/env node
// `npm test` after bootstrap: every check CI relies on, in one run, ending with
// one plain line `N passed, M failed` summed over every check and every test,
// so that a run that executed nothing cannot pass.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handOver, handOverCaptured } from '../bootstrap-handover.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const ENV = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
};
const only = process.argv.slice(2); // optional vitest filters, e.g. `npm test -- libs/rpc`

let passed = 0;
let failed = 0;
const failures = [];

if (only.length === 0) {
  await check('proto: generated code matches proto/', ['node', 'tools/proto/generate.mjs', '--check']);
  await check('proto: buf lint', ['buf', 'lint']);
  await bufBreaking();
  await check('workspace: every project tagged', ['node', 'tools/test/check-tags.mjs']);
  await check('lint: eslint with module boundaries', [
    'sh',
    '-c',
    'nx show projects >/dev/null && eslint --max-warnings 0 .',
  ]);
  await check('format: prettier', ['prettier', '--check', '--log-level', 'warn', '.']);
  // The build (tsc -b) compiles sources only; tests are type-checked here, so a spec
  // that no longer matches the types it drives fails instead of passing on by luck.
  await check('types: every source and test file', ['tsc', '-p', 'tsconfig.spec.json']);
}
await vitest();

if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

// Every step runs as a child that gets the signals stopping `npm test` (see bootstrap-handover.mjs).
async function check(name, argv) {
  const started = Date.now();
  const r = await handOverCaptured(argv[0], argv.slice(1), { cwd: ROOT, env: ENV });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.code === 0) {
    passed++;
    console.log(`ok   ${name} (${seconds} s)`);
  } else {
    failed++;
    failures.push(name);
    console.log(`FAIL ${name} (${seconds} s)\n${indent(r.output)}`);
  }
}

// `buf breaking` compares proto/ with the previous commit of main. On the very
// first commit there is nothing to compare with; that is said, not hidden.
async function bufBreaking() {
  const prev = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD~1'], { cwd: ROOT, encoding: 'utf8' });
  if (prev.status !== 0) {
    console.log('note proto: buf breaking has no previous commit to compare with; not counted');
    return;
  }
  const hasProto = spawnSync('git', ['cat-file', '-e', 'HEAD~1:buf.yaml'], { cwd: ROOT });
  if (hasProto.status !== 0) {
    console.log('note proto: previous commit has no buf.yaml; buf breaking not counted');
    return;
  }
  await check('proto: buf breaking against HEAD~1', ['buf', 'breaking', '--against', '.git#ref=HEAD~1']);
}

// The longest step; its output is shown as it comes.
async function vitest() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-vitest-'));
  const out = path.join(dir, 'results.json');
  const status = await handOver(
    'vitest',
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...only],
    { cwd: ROOT, env: ENV },
  );
  const res = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : undefined;
  // Every run made one; none is left behind.
  fs.rmSync(dir, { recursive: true, force: true });
  if (res === undefined) {
    failed++;
    failures.push(`vitest produced no results (exit ${status})`);
    return;
  }
  passed += res.numPassedTests;
  failed += res.numFailedTests;
  // A file that fails to load has no tests to count; count it as a failure.
  const brokenFiles = res.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0);
  failed += brokenFiles.length;
  for (const f of brokenFiles) failures.push(`test file failed to run: ${path.relative(ROOT, f.name)}`);
  for (const f of res.testResults) {
    for (const a of f.assertionResults)
      if (a.status === 'failed') failures.push(`${path.relative(ROOT, f.name)} › ${a.fullName}`);
  }
  const skipped = res.numPendingTests + res.numTodoTests;
  if (skipped > 0) {
    failed += skipped;
    failures.push(`${skipped} skipped or todo tests (a skipped test is a defect)`);
  }
  if (status !== 0 && res.numFailedTests === 0 && brokenFiles.length === 0) {
    failed++;
    failures.push(`vitest exited ${status} without a failed test`);
  }
}

function indent(s) {
  return s
    .trim()
    .split('\n')
    .slice(-60)
    .map((l) => `     ${l}`)
    .join('\n');
}
