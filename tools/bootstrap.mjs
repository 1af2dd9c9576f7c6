#!/usr/bin/env node
// The entry point behind `npm start`, `npm test`, `npm run stop`, `npm run bench` and `npm run compat`.
// It may run before `npm install`, so it uses nothing but Node's standard library:
// it installs what is missing (npm packages; etcd, Redis and ISA-L from Debian when
// run as root), builds, then hands over to the real command.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handOver } from './bootstrap-handover.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_NODE = [20, 19];
const SERVERS = [
  { binary: 'etcd', pkg: 'etcd-server' },
  { binary: 'redis-server', pkg: 'redis-server' },
  // ISA-L, the erasure codec's and CRC32C's fast path (libs/isal/native); a header, not a binary.
  { file: '/usr/include/isa-l/erasure_code.h', pkg: 'libisal-dev' },
];
// The S3 clients `npm run compat` drives (tools/compat); only that command installs them.
const CLIENTS = [
  { binary: 'aws', pkg: 'awscli' },
  { binary: 'rclone', pkg: 'rclone' },
  { binary: 's3cmd', pkg: 's3cmd' },
];
const COMMANDS = {
  start: { servers: true, run: ['tools/launcher/dist/main.js', 'start'] },
  stop: { servers: false, run: ['tools/launcher/dist/main.js', 'stop'] },
  test: { servers: true, run: ['tools/test/run.mjs'] },
  bench: { servers: true, run: ['tools/bench/dist/main.js'] },
  compat: { servers: true, clients: true, run: ['tools/compat/dist/main.js'] },
};

const [command, ...args] = process.argv.slice(2);
const spec = COMMANDS[command];
if (!spec) fail(`usage: node tools/bootstrap.mjs <${Object.keys(COMMANDS).join('|')}> [args]`);

checkNode();
ensureNpmPackages();
if (spec.servers) ensureDebianPackages(SERVERS, 'Platter needs');
if (spec.clients) ensureDebianPackages(CLIENTS, 'The compatibility run needs');
// Exits 0 and says why when it cannot build: the codec then runs on its slow fallback.
step('build the ISA-L addon', () => run(process.execPath, ['libs/isal/scripts/build-native.mjs']));
step('build', () => run('npx', ['tsc', '-b']));
process.exit(
  await handOver(process.execPath, [path.join(ROOT, spec.run[0]), ...spec.run.slice(1), ...args], {
    cwd: ROOT,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  }),
);

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    fail(`Platter needs Node ${MIN_NODE.join('.')} or newer; this is ${process.versions.node}.`);
  }
}

// Reinstall when the lockfile or any workspace manifest changed since the last install.
// `npm ci` is not used: our registry omits some other-platform optional binaries from
// the lockfile, which `npm ci` then calls out of sync (STACK.md, pitfall 2).
function ensureNpmPackages() {
  const stampFile = path.join(ROOT, 'node_modules', '.platter-install-stamp');
  const want = manifestHash();
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8') : '';
  if (have === want) return;
  step('npm install', () => run('npm', ['install', '--no-audit', '--no-fund']));
  fs.writeFileSync(stampFile, manifestHash());
}

function manifestHash() {
  const hash = createHash('sha256');
  const files = ['package.json', 'package-lock.json'];
  const ws = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).workspaces ?? [];
  for (const pattern of ws) {
    if (pattern.endsWith('/*')) {
      const dir = path.join(ROOT, pattern.slice(0, -2));
      for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
        files.push(path.join(pattern.slice(0, -2), entry, 'package.json'));
      }
    } else files.push(path.join(pattern, 'package.json'));
  }
  for (const f of files) {
    const p = path.join(ROOT, f);
    if (fs.existsSync(p)) hash.update(f).update(fs.readFileSync(p));
  }
  return hash.digest('hex');
}

function ensureDebianPackages(wanted, who) {
  const missing = wanted.filter((s) => !present(s));
  if (missing.length === 0) return;
  const pkgs = missing.map((s) => s.pkg);
  if (process.getuid?.() !== 0) {
    fail(`${who} ${pkgs.join(' and ')} from Debian. Install them with:\n  sudo apt-get install -y ${pkgs.join(' ')}`);
  }
  step(`apt-get install ${pkgs.join(' ')}`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], env);
  });
  const still = wanted.filter((s) => !present(s));
  if (still.length > 0) fail(`still missing after apt-get: ${still.map((s) => s.binary ?? s.file).join(', ')}`);
}

function present(s) {
  return s.binary ? which(s.binary) : fs.existsSync(s.file);
}

function which(binary) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  return dirs.some((d) => d && fs.existsSync(path.join(d, binary)));
}

function step(name, fn) {
  const started = Date.now();
  process.stderr.write(`platter: ${name}...\n`);
  try {
    fn();
  } catch (err) {
    process.stderr.write(`platter: ${name} failed${err.status ? ` (exit ${err.status})` : `: ${err.message}`}\n`);
    // `npm test` always ends with the count line, even when it never got to the tests.
    if (command === 'test') console.log(`\n0 passed, 1 failed`);
    process.exit(1);
  }
  process.stderr.write(`platter: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

function run(cmd, argv, env = process.env) {
  execFileSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env });
}

function fail(message) {
  process.stderr.write(`platter: ${message}\n`);
  process.exit(1);
}
