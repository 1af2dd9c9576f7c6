import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { mentions, sameBytes, type Scenario, type StepOutput } from './scenario.js';

// What each client does against the cluster, with nothing set beyond the
// endpoint, the credentials and the region (and path-style addressing where
// the client cannot guess it from a bare IP endpoint). Every client uploads
// a small object, a multipart one (24 MiB in parts of at least 5 MiB, S3's
// minimum) under a key with a space and a non-ASCII letter, and a small tree;
// lists; downloads and compares bytes; deletes everything and the bucket.

export interface Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Files {
  small: string;
  big: string;
  /** Directory of a few small files, some in a subdirectory. */
  tree: string;
  treeFiles: string[];
  /** Where downloads go. */
  out: string;
  /** Scratch space for client configuration. */
  config: string;
}

export const BIG_KEY = 'big file ü.bin';

function treeChecks(files: Files, downloadedTree: string): Array<() => Promise<string | undefined>> {
  return files.treeFiles.map((f) => sameBytes(path.join(files.tree, f), path.join(downloadedTree, f)));
}

async function allOf(checks: Array<() => Promise<string | undefined>>): Promise<string | undefined> {
  for (const c of checks) {
    const why = await c();
    if (why !== undefined) return why;
  }
  return undefined;
}

/** An aws-cli config that presigns with SigV4 (aws-cli v2's default; v1's needs saying). */
function sigV4Config(f: Files): string {
  const file = path.join(f.config, 'aws-config-s3v4');
  writeFileSync(file, '[default]\ns3 =\n    signature_version = s3v4\n');
  return file;
}

/** GETs a presigned URL with no credentials at all and compares the bytes. */
async function presignedGetMatches(url: string, original: string, saveAs: string): Promise<string | undefined> {
  const res = await fetch(url);
  if (res.status !== 200) return `presigned GET answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
  writeFileSync(saveAs, Buffer.from(await res.arrayBuffer()));
  return sameBytes(original, saveAs)();
}

export function awsCli(t: Target, f: Files): Scenario {
  const b = 'compat-awscli';
  const aws = (...args: string[]): string[] => ['aws', '--endpoint-url', t.endpoint, ...args];
  const bigOut = path.join(f.out, 'awscli-big.bin');
  const treeOut = path.join(f.out, 'awscli-tree');
  return {
    client: 'aws-cli',
    versionArgv: ['aws', '--version'],
    env: {
      AWS_ACCESS_KEY_ID: t.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
      AWS_DEFAULT_REGION: t.region,
      AWS_CONFIG_FILE: path.join(f.config, 'aws-config-none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(f.config, 'aws-credentials-none'),
    },
    steps: [
      { name: 'mb', argv: aws('s3', 'mb', `s3://${b}`) },
      { name: 'cp small up', argv: aws('s3', 'cp', f.small, `s3://${b}/dir/small.bin`) },
      { name: 'cp big up (multipart)', argv: aws('s3', 'cp', f.big, `s3://${b}/dir/${BIG_KEY}`) },
      { name: 'ls', argv: aws('s3', 'ls', `s3://${b}/dir/`), check: mentions('small.bin', BIG_KEY) },
      {
        name: 'cp big down',
        argv: aws('s3', 'cp', `s3://${b}/dir/${BIG_KEY}`, bigOut),
        check: sameBytes(f.big, bigOut),
      },
      { name: 'sync up', argv: aws('s3', 'sync', f.tree, `s3://${b}/tree/`) },
      {
        name: 'sync down',
        argv: aws('s3', 'sync', `s3://${b}/tree/`, treeOut),
        check: () => allOf(treeChecks(f, treeOut)),
      },
      {
        name: 's3api head-object',
        argv: aws('s3api', 'head-object', '--bucket', b, '--key', 'dir/small.bin'),
        check: (out: StepOutput) =>
          (JSON.parse(out.stdout) as { ContentLength?: number }).ContentLength === undefined
            ? `no ContentLength: ${out.stdout}`
            : undefined,
      },
      { name: 'cp server-side copy', argv: aws('s3', 'cp', `s3://${b}/dir/small.bin`, `s3://${b}/copy.bin`) },
      {
        // aws-cli v1 presigns with SigV2 unless told otherwise; S3 refuses SigV2
        // for buckets made since 2020 with this error, and so does Platter.
        name: 'presign (client default) + plain GET',
        argv: aws('s3', 'presign', `s3://${b}/copy.bin`, '--expires-in', '300'),
        check: async (out: StepOutput) => {
          const url = out.stdout.trim();
          if (!url.includes('AWSAccessKeyId='))
            return presignedGetMatches(url, f.small, path.join(f.out, 'aws-p1.bin'));
          const res = await fetch(url);
          const body = await res.text();
          return res.status === 400 && body.includes('<Code>InvalidRequest</Code>') && body.includes('AWS4-HMAC-SHA256')
            ? undefined
            : `SigV2 presigned GET answered ${res.status}: ${body.slice(0, 300)}`;
        },
      },
      {
        name: 'presign (s3v4) + plain GET',
        argv: aws('s3', 'presign', `s3://${b}/copy.bin`, '--expires-in', '300'),
        env: { AWS_CONFIG_FILE: sigV4Config(f) },
        check: (out: StepOutput) => presignedGetMatches(out.stdout.trim(), f.small, path.join(f.out, 'aws-p2.bin')),
      },
      { name: 'rm --recursive', argv: aws('s3', 'rm', `s3://${b}`, '--recursive') },
      { name: 'rb', argv: aws('s3', 'rb', `s3://${b}`) },
    ],
  };
}

export function rclone(t: Target, f: Files): Scenario {
  const b = 'platter:compat-rclone';
  const bigOut = path.join(f.out, 'rclone-big.bin');
  const treeOut = path.join(f.out, 'rclone-tree');
  const configFile = path.join(f.config, 'rclone.conf');
  writeFileSync(configFile, '');
  return {
    client: 'rclone',
    versionArgv: ['rclone', 'version'],
    env: {
      // Debian's rclone 1.60 fails every command when AWS_CA_BUNDLE is set at
      // all ("unsupported transport"), as it is on our machines; the endpoint is plain HTTP.
      AWS_CA_BUNDLE: '',
      RCLONE_CONFIG: configFile,
      RCLONE_CONFIG_PLATTER_TYPE: 's3',
      RCLONE_CONFIG_PLATTER_PROVIDER: 'Other',
      RCLONE_CONFIG_PLATTER_ENDPOINT: t.endpoint,
      RCLONE_CONFIG_PLATTER_REGION: t.region,
      RCLONE_CONFIG_PLATTER_ACCESS_KEY_ID: t.accessKeyId,
      RCLONE_CONFIG_PLATTER_SECRET_ACCESS_KEY: t.secretAccessKey,
    },
    steps: [
      { name: 'mkdir', argv: ['rclone', 'mkdir', b] },
      { name: 'copy tree up', argv: ['rclone', 'copy', f.tree, `${b}/tree`] },
      {
        name: 'copyto big up (multipart)',
        argv: ['rclone', 'copyto', f.big, `${b}/${BIG_KEY}`, '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'],
      },
      // Compares sizes and hashes (MD5 from the ETag, or rclone's own metadata for multipart).
      { name: 'check tree', argv: ['rclone', 'check', f.tree, `${b}/tree`] },
      { name: 'lsf -R', argv: ['rclone', 'lsf', '-R', b], check: mentions(BIG_KEY, ...f.treeFiles) },
      {
        name: 'copyto big down',
        argv: ['rclone', 'copyto', `${b}/${BIG_KEY}`, bigOut],
        check: sameBytes(f.big, bigOut),
      },
      {
        name: 'copy tree down',
        argv: ['rclone', 'copy', `${b}/tree`, treeOut],
        check: () => allOf(treeChecks(f, treeOut)),
      },
      { name: 'delete', argv: ['rclone', 'delete', b] },
      { name: 'rmdir', argv: ['rclone', 'rmdir', b] },
    ],
  };
}

export function s3cmd(t: Target, f: Files): Scenario {
  const b = 's3://compat-s3cmd';
  const host = new URL(t.endpoint).host;
  const configFile = path.join(f.config, 's3cmd.cfg');
  writeFileSync(
    configFile,
    [
      '[default]',
      `access_key = ${t.accessKeyId}`,
      `secret_key = ${t.secretAccessKey}`,
      `host_base = ${host}`,
      // No %(bucket)s: a bare IP endpoint has no virtual hosts, so path-style.
      `host_bucket = ${host}`,
      `bucket_location = ${t.region}`,
      'use_https = False',
      'signature_v2 = False',
      '',
    ].join('\n'),
  );
  const s3 = (...args: string[]): string[] => ['s3cmd', '-c', configFile, ...args];
  const bigOut = path.join(f.out, 's3cmd-big.bin');
  const treeOut = path.join(f.out, 's3cmd-tree') + path.sep;
  return {
    client: 's3cmd',
    versionArgv: ['s3cmd', '--version'],
    env: {},
    steps: [
      { name: 'mb', argv: s3('mb', b) },
      { name: 'put small', argv: s3('put', f.small, `${b}/small.bin`) },
      {
        name: 'put big (multipart)',
        argv: s3('put', '--multipart-chunk-size-mb=5', f.big, `${b}/${BIG_KEY}`),
      },
      { name: 'sync tree up', argv: s3('sync', f.tree + path.sep, `${b}/tree/`) },
      { name: 'ls --recursive', argv: s3('ls', '--recursive', b), check: mentions('small.bin', BIG_KEY) },
      {
        name: 'get big',
        argv: s3('get', '--force', `${b}/${BIG_KEY}`, bigOut),
        check: sameBytes(f.big, bigOut),
      },
      {
        name: 'sync tree down',
        argv: s3('sync', `${b}/tree/`, treeOut),
        check: () => allOf(treeChecks(f, treeOut)),
      },
      { name: 'info', argv: s3('info', `${b}/small.bin`), check: mentions('MD5 sum') },
      { name: 'del --recursive', argv: s3('del', '--recursive', '--force', b) },
      { name: 'rb', argv: s3('rb', b) },
    ],
  };
}
