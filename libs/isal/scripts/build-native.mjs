#!/usr/bin/env node
// Builds the ISA-L addon (native/platter_isal.c) for @platter/isal.
// Safe to call from the bootstrap on every run: it exits 0 and prints why when
// it cannot build (no libisal-dev, no compiler, no Node headers), because the
// library then falls back to another implementation. `--strict` makes those
// cases exit 1 (CI that must test ISA-L); `--force` rebuilds even when up to date.
// Uses only Node's standard library: it may run before anything is built.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = path.join(LIB, 'native');
const OUTPUT = path.join(NATIVE, 'build', 'Release', 'platter_isal.node');
const SOURCES = ['platter_isal.c', 'binding.gyp'].map((f) => path.join(NATIVE, f));
const ISAL_HEADER_DIRS = ['/usr/include', '/usr/local/include'];
const args = new Set(process.argv.slice(2));
const STRICT = args.has('--strict');
const FORCE = args.has('--force');

main();

function main() {
  if (process.platform !== 'linux') return skip(`ISA-L addon is Linux-only (this is ${process.platform})`);
  if (!FORCE && upToDate()) return done(`up to date: ${path.relative(process.cwd(), OUTPUT)}`, verify());

  const header = ISAL_HEADER_DIRS.map((d) => path.join(d, 'isa-l', 'erasure_code.h')).find((f) => fs.existsSync(f));
  if (!header)
    return skip('libisal-dev is not installed (no isa-l/erasure_code.h); as root: apt-get install -y libisal-dev');
  const missingTools = ['cc', 'make', 'python3'].filter((t) => !which(t));
  if (missingTools.length > 0)
    return skip(`missing build tools: ${missingTools.join(', ')} (apt-get install -y build-essential python3)`);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) return skip('node-gyp not found (it ships with npm; is npm installed next to node?)');
  const nodedir = findNodedir();
  if (!nodedir)
    return skip(
      'no Node headers found (set npm config nodedir, or install the headers under the node prefix); refusing to download them',
    );

  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: NATIVE,
    encoding: 'utf8',
    // node-gyp logs to stderr; keep it for the failure message only.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (build.status !== 0) {
    const tail = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-15).join('\n');
    return skip(`node-gyp rebuild failed (exit ${build.status ?? build.signal}):\n${tail}`);
  }
  done(`built ${path.relative(process.cwd(), OUTPUT)} (nodedir ${nodedir})`, verify());
}

function upToDate() {
  if (!fs.existsSync(OUTPUT)) return false;
  const built = fs.statSync(OUTPUT).mtimeMs;
  return SOURCES.every((f) => fs.statSync(f).mtimeMs <= built);
}

// Loads the addon in a child process (a bad build must not crash the caller)
// the way the library does, and round-trips one small stripe.
function verify() {
  const check = `
    const os = require('node:os');
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(OUTPUT)}, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_DEEPBIND);
    const a = m.exports;
    const matrix = a.initTables(2, 1, a.cauchyMatrix(2, 1).subarray(4));
    const d = [Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7, 8])], p = [Buffer.alloc(4)];
    a.encodeSync(4, matrix, d, p);
    if (p[0].equals(Buffer.alloc(4))) throw new Error('parity is all zero');
    if (a.crc32c(Buffer.from('123456789')) !== 0xe3069283) throw new Error('crc32c check value is wrong');
  `;
  const r = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0
    ? undefined
    : (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' ');
}

function done(message, verifyError) {
  if (verifyError) return skip(`${message}, but it does not load: ${verifyError}`);
  console.log(`[isal] ISA-L addon ${message}`);
}

function skip(reason) {
  console.log(`[isal] ISA-L addon not built: ${reason}`);
  console.log(
    '[isal] fallbacks: @platter/erasure runs rs-cauchy-gf256 on its pure-TS kernel (or rs-gf256-ronomon for new clusters); crc32c uses @node-rs/crc32',
  );
  process.exitCode = STRICT ? 1 : 0;
}

function which(binary) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && isExecutable(path.join(dir, binary)));
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    path.join(LIB, '..', '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && fs.existsSync(c));
}

// Node headers without a download: npm's nodedir setting, else the prefix node runs from.
function findNodedir() {
  const hasHeaders = (dir) => dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'));
  const fromEnv = process.env.npm_config_nodedir;
  if (hasHeaders(fromEnv)) return fromEnv;
  let fromNpm;
  try {
    fromNpm = execFileSync('npm', ['config', 'get', 'nodedir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    }).trim();
  } catch {
    fromNpm = undefined;
  }
  if (hasHeaders(fromNpm)) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return hasHeaders(prefix) ? prefix : undefined;
}
