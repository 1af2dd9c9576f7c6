#!/usr/bin/env node
// Lint fails on an untagged project: every workspace package needs exactly one
// `type:*` tag and one `scope:*` tag, or the module-boundary rule cannot place it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TYPES = new Set([
  'type:proto',
  'type:shared',
  'type:testkit',
  'type:service',
  'type:app',
  'type:tool',
  'type:e2e',
]);
const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const dirs = root.workspaces.flatMap((w) =>
  w.endsWith('/*') ? fs.readdirSync(path.join(ROOT, w.slice(0, -2))).map((d) => path.join(w.slice(0, -2), d)) : [w],
);
const problems = [];
for (const dir of dirs) {
  const file = path.join(ROOT, dir, 'package.json');
  if (!fs.existsSync(file)) {
    problems.push(`${dir}: a folder in a workspace glob without package.json`);
    continue;
  }
  const tags = JSON.parse(fs.readFileSync(file, 'utf8')).nx?.tags ?? [];
  const types = tags.filter((t) => t.startsWith('type:'));
  const scopes = tags.filter((t) => t.startsWith('scope:'));
  if (types.length !== 1 || !TYPES.has(types[0]))
    problems.push(`${dir}: needs exactly one known type:* tag, has [${types}]`);
  if (scopes.length !== 1) problems.push(`${dir}: needs exactly one scope:* tag, has [${scopes}]`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${dirs.length} projects tagged`);
