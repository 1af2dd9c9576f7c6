// The Helm chart in deploy/helm/platter, checked without a cluster. The `helm`
// binary cannot be installed on our machines, so what is checked everywhere is
// what needs no Go template engine: Chart.yaml, values.yaml against
// values.schema.json, documentation of every value, and the templates'
// structure (balanced actions and blocks, helpers that exist, .Values paths that
// exist). When `helm` is on PATH the chart is also linted and rendered.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parse, parseAllDocuments, parseDocument, type Document } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHART = path.join(ROOT, 'deploy/helm/platter');
const TEMPLATES = path.join(CHART, 'templates');
const COMPONENTS = ['frontend', 'namespace', 'storage', 'placement', 'auditor', 'repair'] as const;
const STATEFUL = new Set(['namespace', 'storage']);
// `helm template` of this chart takes well under a second; a minute means a hung binary.
const HELM_TIMEOUT_MS = 60_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const read = (file: string): string => fs.readFileSync(file, 'utf8');
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// ---------------------------------------------------------------------------
// A JSON Schema checker limited to the keywords values.schema.json uses. It
// refuses any other keyword, so the schema cannot grow a rule this test ignores.

const ANNOTATION_KEYWORDS = new Set(['$schema', 'title', 'description', 'definitions']);
const CHECKED_KEYWORDS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'minItems',
  'items',
  'pattern',
]);

function typeOf(value: Json): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];
}

function resolveRef(root: JsonObject, ref: string): JsonObject {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let node: Json = root;
  for (const part of ref.slice(2).split('/')) node = isObject(node) ? (node[part] ?? null) : null;
  if (!isObject(node)) throw new Error(`dangling $ref ${ref}`);
  return node;
}

/** Every keyword of every subschema, so that an unsupported one fails even where no value reaches it. */
function assertKnownKeywords(schema: Json, where: string): void {
  if (!isObject(schema)) throw new Error(`${where}: a schema must be an object`);
  for (const [key, sub] of Object.entries(schema)) {
    if (!ANNOTATION_KEYWORDS.has(key) && !CHECKED_KEYWORDS.has(key))
      throw new Error(`${where}: unsupported keyword ${key}`);
    if (key === 'properties' || key === 'definitions') {
      for (const [name, s] of Object.entries(sub as JsonObject)) assertKnownKeywords(s, `${where}/${key}/${name}`);
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(sub)) {
      assertKnownKeywords(sub, `${where}/${key}`);
    }
  }
}

function validate(value: Json, schema: JsonObject, root: JsonObject, at = '(root)'): string[] {
  if (typeof schema.$ref === 'string') return validate(value, resolveRef(root, schema.$ref), root, at);
  const problems: string[] = [];
  const types = schema.type === undefined ? undefined : ([] as Json[]).concat(schema.type).map(String);
  if (types && !typeOf(value).some((t) => types.includes(t)))
    return [`${at}: expected ${types.join(' or ')}, got ${typeOf(value)[0]}`];
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      problems.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      problems.push(`${at}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      problems.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      problems.push(`${at}: fewer than ${schema.minItems} items`);
    if (isObject(schema.items))
      value.forEach((item, i) => problems.push(...validate(item, schema.items as JsonObject, root, `${at}[${i}]`)));
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const name of Array.isArray(schema.required) ? schema.required.map(String) : []) {
      if (!(name in value)) problems.push(`${at}: missing required ${name}`);
    }
    for (const [name, v] of Object.entries(value)) {
      const sub = properties[name];
      if (isObject(sub)) problems.push(...validate(v, sub, root, `${at}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: unknown key ${name}`);
      else if (isObject(schema.additionalProperties))
        problems.push(...validate(v, schema.additionalProperties, root, `${at}.${name}`));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Template structure, read without rendering.

interface Action {
  file: string;
  text: string;
}

/** Every `{{ ... }}` action of a template, or an error naming an unbalanced one. */
function actionsOf(file: string, source: string): Action[] {
  const actions: Action[] = [];
  let i = 0;
  for (;;) {
    const open = source.indexOf('{{', i);
    const strayClose = source.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open))
      throw new Error(`${file}: '}}' without '{{' at offset ${strayClose}`);
    if (open === -1) return actions;
    const isComment = /^\{\{-?\s*\/\*/.test(source.slice(open, open + 6));
    const close = isComment ? source.indexOf('*/', open) : source.indexOf('}}', open + 2);
    if (close === -1) throw new Error(`${file}: '{{' at offset ${open} is never closed`);
    const end = isComment ? source.indexOf('}}', close) : close;
    if (end === -1) throw new Error(`${file}: comment at offset ${open} is never closed`);
    const inner = source.slice(open + 2, end);
    if (!isComment && inner.includes('{{')) throw new Error(`${file}: '{{' inside an action at offset ${open}`);
    actions.push({ file, text: inner.replace(/^-?\s*/, '').replace(/\s*-?$/, '') });
    i = end + 2;
  }
}

const OPENERS = /^(if|range|with|define|block)\b/;

/** Every if/range/with/define/block has its end, in order. */
function assertBlocksBalanced(actions: Action[]): void {
  const stack: string[] = [];
  for (const a of actions) {
    if (a.text.startsWith('/*')) continue;
    const opener = OPENERS.exec(a.text);
    if (opener) stack.push(opener[1] ?? '');
    else if (/^end\b/.test(a.text)) {
      if (stack.pop() === undefined) throw new Error(`${a.file}: {{ end }} without an opening block`);
    } else if (/^else\b/.test(a.text) && stack.length === 0) throw new Error(`${a.file}: {{ else }} outside a block`);
  }
  if (stack.length > 0) throw new Error(`${actions[0]?.file}: unclosed ${stack.join(', ')}`);
}

function hasPath(values: Json, segments: string[]): boolean {
  let node = values;
  for (const s of segments) {
    if (!isObject(node) || !(s in node)) return false;
    node = node[s] ?? null;
  }
  return true;
}

/**
 * Every `.Values.a.b` path a template names, including through variables that
 * alias a part of .Values (`$v := .Values`, `$c := index $v .component`).
 * A component alias (`index … .component`) is returned with the prefix '*'.
 */
function valuesPaths(source: string): string[][] {
  const aliases = new Map<string, string[]>();
  const paths: string[][] = [];
  const assign =
    /\$(\w+)\s*:?=\s*(?:(?:\$|\.ctx)?\.Values((?:\.\w+)*)|\$(\w+)((?:\.\w+)*)|index\s+(?:\$(\w+)|(?:\$|\.ctx)?\.Values)\s+\.component)\s*}}/g;
  for (const m of source.matchAll(assign)) {
    const [, name, valuesTail, fromVar, fromVarTail, indexVar] = m;
    if (!name) continue;
    if (valuesTail !== undefined) aliases.set(name, valuesTail.split('.').filter(Boolean));
    else if (fromVar !== undefined && aliases.has(fromVar))
      aliases.set(name, [...(aliases.get(fromVar) ?? []), ...(fromVarTail ?? '').split('.').filter(Boolean)]);
    else if (m[0].includes('index') && (indexVar === undefined || aliases.get(indexVar)?.length === 0))
      aliases.set(name, ['*']);
  }
  for (const m of source.matchAll(/\.Values((?:\.\w+)+)/g)) paths.push((m[1] ?? '').split('.').filter(Boolean));
  for (const m of source.matchAll(/\$(\w+)((?:\.\w+)+)/g)) {
    const prefix = aliases.get(m[1] ?? '');
    if (prefix) paths.push([...prefix, ...(m[2] ?? '').split('.').filter(Boolean)]);
  }
  return paths;
}

// ---------------------------------------------------------------------------
// Documentation: the comment that describes a key in values.yaml.

/**
 * Paths of values.yaml keys that have no comment above (or beside) them. Every
 * value needs one; a group of values (a closed object in the schema) is
 * documented by its members' comments.
 */
function undocumentedKeys(doc: Document, schema: JsonObject): string[] {
  const missing: string[] = [];
  const visit = (node: unknown, sub: JsonObject, at: string): void => {
    if (typeof sub.$ref === 'string') sub = resolveRef(schema, sub.$ref);
    // Free-form objects (resources, securityContext, strategy) are documented as a whole.
    if (!isMap(node) || !isObject(sub.properties) || sub.additionalProperties !== false) return;
    node.items.forEach((pair, index) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const keySchema = (sub.properties as JsonObject)[key];
      if (!isObject(keySchema)) return;
      const resolved = typeof keySchema.$ref === 'string' ? resolveRef(schema, keySchema.$ref) : keySchema;
      if (resolved.additionalProperties === false && isObject(resolved.properties)) {
        visit(pair.value, resolved, `${at}${key}.`);
        return;
      }
      const before =
        (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (index === 0 ? node.commentBefore : undefined);
      const beside = isScalar(pair.value) || isMap(pair.value) ? pair.value.comment : undefined;
      if (!before?.trim() && !beside?.trim()) missing.push(`${at}${key}`);
    });
  };
  visit(doc.contents, schema, '');
  return missing;
}

// ---------------------------------------------------------------------------

const chart = parse(read(path.join(CHART, 'Chart.yaml'))) as JsonObject;
const valuesDoc = parseDocument(read(path.join(CHART, 'values.yaml')));
const values = valuesDoc.toJS() as JsonObject;
const schema = JSON.parse(read(path.join(CHART, 'values.schema.json'))) as JsonObject;
const templateFiles = listFiles(TEMPLATES).sort();
const sources = new Map(templateFiles.map((f) => [path.relative(TEMPLATES, f), read(f)]));

describe('Chart.yaml', () => {
  it("is a v2 application chart with a semver version and the code's appVersion", () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('platter');
    expect(chart.type).toBe('application');
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(typeof chart.appVersion).toBe('string');
    // The image tag defaults to appVersion, so it must name the release the code says it is.
    const codeVersion = /PLATTER_VERSION = '([^']+)'/.exec(
      read(path.join(ROOT, 'libs/service-host/src/version.ts')),
    )?.[1];
    expect(chart.appVersion).toBe(codeVersion);
    // Native gRPC readiness probes are GA from Kubernetes 1.27.
    expect(chart.kubeVersion).toBe('>=1.27.0-0');
  });
});

describe('values.yaml and values.schema.json', () => {
  it('values.yaml parses without errors or warnings', () => {
    expect(valuesDoc.errors).toEqual([]);
    expect(valuesDoc.warnings).toEqual([]);
    expect(Object.keys(values)).toEqual(expect.arrayContaining([...COMPONENTS, 'etcd', 'redis', 'iam', 'cluster']));
  });

  it('the schema uses only keywords this checker enforces, and every $ref resolves', () => {
    expect(() => assertKnownKeywords(schema, '#')).not.toThrow();
    const refs = [...JSON.stringify(schema).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(() => resolveRef(schema, ref)).not.toThrow();
  });

  it('values.yaml conforms to the schema', () => {
    expect(validate(values, schema, schema)).toEqual([]);
  });

  it('the schema rejects wrong values: types, enums, bounds, patterns, unknown keys', () => {
    const broken = (mutate: (v: JsonObject) => void): string[] => {
      const v = structuredClone(values);
      mutate(v);
      return validate(v, schema, schema);
    };
    const at = (v: JsonObject, key: string): JsonObject => v[key] as JsonObject;
    expect(broken((v) => (v.logLevel = 'loud'))).toEqual([expect.stringContaining('(root).logLevel')]);
    expect(broken((v) => (at(v, 'frontend').replicaCount = -1))).toEqual([expect.stringContaining('minimum')]);
    expect(broken((v) => (at(v, 'frontend').replicaCount = '2'))).toEqual([
      expect.stringContaining('expected integer'),
    ]);
    expect(broken((v) => (at(v, 'storage').hostAntiAffinity = 'none'))).toHaveLength(1);
    expect(broken((v) => (at(v, 'storage').zones = [{ name: 'Zone A' }]))).toEqual([
      expect.stringContaining('does not match'),
    ]);
    expect(broken((v) => (at(v, 'storage').zones = [{ rack: 'r1' }]))).toEqual([
      expect.stringContaining('missing required name'),
    ]);
    expect(broken((v) => (at(v, 'etcd').endpoints = ['etcd:2379']))).toHaveLength(1);
    expect(broken((v) => (at(v, 'etcd').prefix = 'platter'))).toHaveLength(1);
    expect(broken((v) => (at(v, 'ports').grpc = 70000))).toEqual([expect.stringContaining('maximum')]);
    expect(broken((v) => (at(v, 'redis').uri = 'redis://x'))).toEqual([expect.stringContaining('unknown key uri')]);
    expect(
      broken(
        (v) =>
          (at(v, 'namespace').persistence = {
            size: '20 GB',
            storageClass: '',
            accessModes: ['ReadWriteOnce'],
            mountPath: '/data',
          }),
      ),
    ).toHaveLength(1);
    expect(broken((v) => (at(at(v, 'frontend'), 'pdb').maxUnavailable = '25%'))).toEqual([]);
    expect(broken((v) => (at(at(v, 'frontend'), 'pdb').maxUnavailable = 'half'))).toHaveLength(1);
    expect(broken((v) => delete v.iam)).toEqual(['(root): missing required iam']);
  });

  it('the schema requires every key it declares, so values.yaml holds every value', () => {
    const unrequired: string[] = [];
    const visit = (s: JsonObject, at: string): void => {
      if (typeof s.$ref === 'string') s = resolveRef(schema, s.$ref);
      if (!isObject(s.properties) || s.additionalProperties !== false) return;
      const required = new Set(Array.isArray(s.required) ? s.required : []);
      for (const [name, sub] of Object.entries(s.properties)) {
        // Entries of a list (zone groups, env vars) may leave keys out; the values themselves may not.
        if (!required.has(name) && !at.includes('[]')) unrequired.push(at + name);
        if (isObject(sub)) {
          visit(sub, `${at}${name}.`);
          const items = typeof sub.$ref === 'string' ? resolveRef(schema, sub.$ref).items : sub.items;
          if (isObject(items)) visit(items, `${at}${name}[].`);
        }
      }
    };
    visit(schema, '');
    expect(unrequired).toEqual([]);
  });

  it('every value is documented by a comment in values.yaml', () => {
    expect(undocumentedKeys(valuesDoc, schema)).toEqual([]);
    // And the check finds a bare key, inside a group too.
    const closed = (properties: JsonObject): JsonObject => ({
      type: 'object',
      additionalProperties: false,
      properties,
    });
    const bare = parseDocument('# -- documented\na: 1\nb: 2\ng:\n  # -- documented\n  c: 3\n  d: 4\n');
    expect(undocumentedKeys(bare, closed({ a: {}, b: {}, g: closed({ c: {}, d: {} }) }))).toEqual(['b', 'g.d']);
  });

  it('has no default secret and no default etcd or Redis: the templates require them', () => {
    expect((values.iam as JsonObject).existingSecret).toBe('');
    expect((values.etcd as JsonObject).endpoints).toEqual([]);
    expect((values.redis as JsonObject).url).toBe('');
    const validateTpl = sources.get('_validate.tpl') ?? '';
    for (const key of ['etcd.endpoints', 'redis.url', 'iam.existingSecret']) expect(validateTpl).toContain(`"${key}:`);
    expect(validateTpl).toMatch(/\{\{-? fail /);
    expect(validateTpl).toMatch(/required "iam\.existingSecret is required/);
    // Both paths to a render run the checks: the always-rendered notes and the bootstrap hook.
    expect(sources.get('NOTES.txt')).toContain('include "platter.validateValues" .');
    expect(sources.get('bootstrap-job.yaml')).toContain('include "platter.validateValues" .');
  });

  it('leaves more time to terminate than the processes take to shut down', () => {
    expect((values.terminationGracePeriodSeconds as number) * 1000).toBeGreaterThan(values.shutdownGraceMs as number);
  });
});

describe('templates', () => {
  const actions = new Map([...sources].map(([file, src]) => [file, actionsOf(file, src)]));
  const defines = new Map<string, string>();
  const definedTwice: string[] = [];
  for (const [file, list] of actions) {
    for (const a of list) {
      const name = /^define\s+"([^"]+)"/.exec(a.text)?.[1];
      if (!name) continue;
      if (defines.has(name)) definedTwice.push(name);
      defines.set(name, file);
    }
  }

  it('has a template set per component', () => {
    for (const c of COMPONENTS) {
      const files = templateFiles
        .filter((f) => path.dirname(f) === path.join(TEMPLATES, c))
        .map((f) => path.basename(f));
      const workload = STATEFUL.has(c) ? 'statefulset.yaml' : 'deployment.yaml';
      expect(files, c).toEqual(
        expect.arrayContaining([
          workload,
          'headless-service.yaml',
          'pdb.yaml',
          'servicemonitor.yaml',
          'configmap.yaml',
        ]),
      );
    }
    expect(templateFiles.map((f) => path.relative(TEMPLATES, f))).toEqual(
      expect.arrayContaining([
        '_helpers.tpl',
        'NOTES.txt',
        'frontend/service.yaml',
        'frontend/hpa.yaml',
        'bootstrap-job.yaml',
        'serviceaccount.yaml',
      ]),
    );
  });

  it('every {{ }} action and every block is balanced, and YAML is indented with spaces', () => {
    expect(actions.size).toBe(templateFiles.length);
    for (const [file, list] of actions) {
      expect(() => assertBlocksBalanced(list), file).not.toThrow();
      expect(sources.get(file), file).not.toMatch(/\t/);
    }
  });

  it('helpers are defined once, only in _*.tpl files, and each is used', () => {
    expect(definedTwice).toEqual([]);
    expect(defines.size).toBeGreaterThan(20);
    for (const [name, file] of defines) {
      expect(path.basename(file), name).toMatch(/^_.*\.tpl$/);
      const uses = [...actions.values()]
        .flat()
        .filter((a) => a.text.includes(`include "${name}"`) || a.text.includes(`template "${name}"`));
      expect(uses.length, `${name} is never used`).toBeGreaterThan(0);
    }
    expect([...defines.keys()].filter((n) => !n.startsWith('platter.'))).toEqual([]);
  });

  it('every include and template names a defined helper', () => {
    let count = 0;
    for (const list of actions.values()) {
      for (const a of list) {
        for (const m of a.text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)) {
          count++;
          expect(defines.has(m[1] ?? ''), `${a.file}: ${m[1]} is not defined`).toBe(true);
        }
        expect(a.text, `${a.file}: include with a computed name`).not.toMatch(/\binclude\s+[^"\s(]/);
      }
    }
    expect(count).toBeGreaterThan(100);
  });

  it('every .Values path used by a template exists in values.yaml', () => {
    const missing: string[] = [];
    let count = 0;
    for (const [file, src] of sources) {
      for (const p of valuesPaths(src)) {
        count++;
        const ok = p[0] === '*' ? COMPONENTS.some((c) => hasPath(values, [c, ...p.slice(1)])) : hasPath(values, p);
        if (!ok) missing.push(`${file}: .Values.${p.join('.')}`);
      }
    }
    expect(missing).toEqual([]);
    expect(count).toBeGreaterThan(80);
  });

  it('the path checker itself catches a misspelt value', () => {
    const paths = valuesPaths('{{- $v := .ctx.Values }}{{ $v.etcd.endpont }}{{ .Values.storage.disks.cout }}');
    expect(
      paths
        .filter((p) => !hasPath(values, p))
        .map((p) => p.join('.'))
        .sort(),
    ).toEqual(['etcd.endpont', 'storage.disks.cout']);
    expect(() => actionsOf('x', 'a: {{ .Values.x }')).toThrow(/never closed/);
    expect(() => assertBlocksBalanced(actionsOf('x', '{{ if .a }}{{ range .b }}{{ end }}'))).toThrow(/unclosed if/);
  });

  it('pods are non-root with a read-only root filesystem, no capabilities, seccomp RuntimeDefault and a writable /tmp', () => {
    const pod = values.podSecurityContext as JsonObject;
    const container = values.containerSecurityContext as JsonObject;
    expect(pod).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.runAsUser).toBeGreaterThan(0);
    expect(container).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const podTpl = sources.get('_pod.tpl') ?? '';
    expect(podTpl).toMatch(/mountPath: \/tmp/);
    expect(podTpl).toMatch(/emptyDir:\s+sizeLimit:/);
    // Readiness is the native gRPC probe on the gRPC port; liveness is the admin /healthz.
    expect(podTpl).toMatch(/readinessProbe:\s+grpc:\s+port: \{\{ \.ctx\.Values\.ports\.grpc \}\}/);
    expect(podTpl).toMatch(/livenessProbe:\s+httpGet:\s+path: \/healthz\s+port: admin/);
    for (const c of COMPONENTS) {
      const workload = sources.get(`${c}/${STATEFUL.has(c) ? 'statefulset' : 'deployment'}.yaml`) ?? '';
      const body = STATEFUL.has(c) ? workload : (sources.get('_resources.tpl') ?? '');
      expect(workload, c).toMatch(new RegExp(`"component" "${c}"`));
      for (const piece of [
        'platter.podSpecCommon',
        'platter.containerCommon',
        'platter.probes',
        'platter.podAnnotations',
        'platter.tmpVolumeMount',
        'platter.identityEnv',
      ]) {
        expect(body, `${c} uses ${piece}`).toContain(`include "${piece}"`);
      }
    }
    expect(podTpl).toMatch(
      /checksum\/config: \{\{ include \(print \.ctx\.Template\.BasePath "\/" \.component "\/configmap\.yaml"\) \.ctx \| sha256sum \}\}/,
    );
  });

  it('storage builds PLATTER_DISKS from the pod name and a claim per disk, and pins one pod per host by default', () => {
    const sts = sources.get('storage/statefulset.yaml') ?? '';
    expect(sts).toContain('printf "$(PLATTER_ID)-d%d" $n');
    expect(sts).toContain('- name: PLATTER_DISKS');
    expect(sts).toMatch(
      /volumeClaimTemplates:\s+\{\{- range \$n := untilStep 1 \(int \(add \$c\.disks\.count 1\)\) 1 \}\}/,
    );
    expect((values.storage as JsonObject).hostAntiAffinity).toBe('required');
    expect(sources.get('_pod.tpl')).toMatch(
      /requiredDuringSchedulingIgnoredDuringExecution:\s+- topologyKey: \{\{ \$v\.topologyKeys\.host \}\}/,
    );
    // PLATTER_ID must come before the variables that expand it.
    const identity = sources.get('_pod.tpl') ?? '';
    expect(identity.indexOf('- name: PLATTER_ID')).toBeLessThan(identity.indexOf('$(PLATTER_ID)'));
  });

  it('every PLATTER_ variable the chart sets is documented in the chart README', () => {
    const readme = read(path.join(CHART, 'README.md'));
    const variables = new Set([...[...sources.values()].join('\n').matchAll(/\bPLATTER_[A-Z_]+\b/g)].map((m) => m[0]));
    expect(variables.size).toBeGreaterThan(15);
    for (const v of variables) expect(readme, v).toContain(v);
    for (const group of Object.keys(values)) expect(readme, group).toContain(`\`${group}`);
  });
});

describe('rendering', () => {
  it('renders with helm when helm is on PATH; the static checks above stand in otherwise', () => {
    const probe = spawnSync('helm', ['version', '--short'], { encoding: 'utf8', timeout: HELM_TIMEOUT_MS });
    if (probe.error || probe.status !== 0) {
      console.log('helm-chart.spec: `helm` is not on PATH; the chart was checked statically but not rendered');
      // What this test can still assert: the files a render would start from exist and parse.
      expect(templateFiles.length).toBeGreaterThan(30);
      expect(fs.existsSync(path.join(CHART, 'values.schema.json'))).toBe(true);
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platter-helm-'));
    try {
      const required = path.join(dir, 'required.yaml');
      fs.writeFileSync(
        required,
        'etcd: {endpoints: ["http://etcd:2379"]}\nredis: {url: "redis://redis:6379"}\niam: {existingSecret: platter-root}\n',
      );
      const zones = path.join(dir, 'zones.yaml');
      fs.writeFileSync(
        zones,
        'storage: {zones: [{name: zone-a, replicaCount: 3}, {name: zone-b, replicaCount: 3}, {name: zone-c, replicaCount: 3}]}\nmetrics: {serviceMonitor: {enabled: true}}\n',
      );
      const helm = (...args: string[]) => spawnSync('helm', args, { encoding: 'utf8', timeout: HELM_TIMEOUT_MS });

      const lint = helm('lint', '--strict', CHART, '-f', required);
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);

      const rendered = helm('template', 'p', CHART, '--namespace', 'objects', '-f', required);
      expect(rendered.status, rendered.stderr).toBe(0);
      const docs = parseAllDocuments(rendered.stdout)
        .map((d) => d.toJS() as JsonObject | null)
        .filter(isObject);
      const kinds = (kind: string) => docs.filter((d) => d.kind === kind);
      expect(
        kinds('StatefulSet')
          .map((d) => (d.metadata as JsonObject).name)
          .sort(),
      ).toEqual(['p-platter-namespace', 'p-platter-storage']);
      expect(kinds('Deployment')).toHaveLength(4);
      expect(kinds('PodDisruptionBudget')).toHaveLength(6);
      expect(kinds('ConfigMap')).toHaveLength(6);
      expect(kinds('ServiceMonitor')).toHaveLength(0);
      const storage = kinds('StatefulSet').find(
        (d) => (d.metadata as JsonObject).name === 'p-platter-storage',
      ) as JsonObject;
      const spec = storage.spec as JsonObject;
      expect(spec.volumeClaimTemplates).toHaveLength(3);
      const container = (
        ((spec.template as JsonObject).spec as JsonObject).containers as JsonObject[]
      )[0] as JsonObject;
      const env = new Map((container.env as JsonObject[]).map((e) => [e.name, e]));
      expect(JSON.parse(String(env.get('PLATTER_DISKS')?.value))).toEqual(
        [1, 2, 3].map((n) => ({ id: `$(PLATTER_ID)-d${n}`, path: `/disks/d${n}` })),
      );
      expect(env.get('PLATTER_ADVERTISE_HOST')?.value).toBe(
        '$(PLATTER_ID).p-platter-storage-headless.objects.svc.cluster.local',
      );
      expect(container.readinessProbe).toMatchObject({ grpc: { port: 7000 } });

      const grouped = helm('template', 'p', CHART, '-f', required, '-f', zones);
      expect(grouped.status, grouped.stderr).toBe(0);
      const groupedDocs = parseAllDocuments(grouped.stdout)
        .map((d) => d.toJS() as JsonObject | null)
        .filter(isObject);
      expect(groupedDocs.filter((d) => d.kind === 'StatefulSet')).toHaveLength(4);
      expect(groupedDocs.filter((d) => d.kind === 'ServiceMonitor')).toHaveLength(6);

      const noSecret = helm(
        'template',
        'p',
        CHART,
        '--set',
        'etcd.endpoints={http://etcd:2379}',
        '--set',
        'redis.url=redis://redis:6379',
      );
      expect(noSecret.status).not.toBe(0);
      expect(noSecret.stderr).toContain('iam.existingSecret');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
