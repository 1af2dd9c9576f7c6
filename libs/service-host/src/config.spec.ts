import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BaseConfigSchema, ConfigError, envName, parseConfig } from './config.js';

const schema = BaseConfigSchema.extend({
  disks: z.array(z.object({ id: z.string(), path: z.string() })).default([]),
});
const minimal = { PLATTER_ID: 'storage-1', PLATTER_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };

describe('parseConfig', () => {
  it('maps camelCase fields to PLATTER_UPPER_SNAKE variables', () => {
    expect(envName('etcdEndpoints')).toBe('PLATTER_ETCD_ENDPOINTS');
    expect(envName('leaseTtlSeconds')).toBe('PLATTER_LEASE_TTL_SECONDS');
    expect(envName('s3Port')).toBe('PLATTER_S3_PORT');
  });

  it('applies defaults, splits endpoint lists and coerces numbers', () => {
    const c = parseConfig(schema, {
      ...minimal,
      PLATTER_ETCD_ENDPOINTS: 'http://a:1, http://b:2',
      PLATTER_GRPC_PORT: '7000',
    });
    expect(c.etcdEndpoints).toEqual(['http://a:1', 'http://b:2']);
    expect(c.grpcPort).toBe(7000);
    expect(c.etcdPrefix).toBe('/platter/');
    expect(c.leaseTtlSeconds).toBe(10);
    expect(c.disks).toEqual([]);
  });

  it('reads structured fields as JSON', () => {
    const c = parseConfig(schema, { ...minimal, PLATTER_DISKS: '[{"id":"d1","path":"/disks/d1"}]' });
    expect(c.disks).toEqual([{ id: 'd1', path: '/disks/d1' }]);
  });

  it('reports every problem at once, naming the variable', () => {
    let error: unknown;
    try {
      parseConfig(schema, { PLATTER_GRPC_PORT: '70000', PLATTER_DISKS: 'not json', PLATTER_ID: 'Bad Id' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PLATTER_ETCD_ENDPOINTS');
    expect(problems).toContain('PLATTER_GRPC_PORT');
    expect(problems).toContain('PLATTER_DISKS: expected JSON');
    expect(problems).toContain('PLATTER_ID');
  });

  it('reads a JSON file named by PLATTER_CONFIG_FILE, with the environment taking precedence', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'platter-config-')), 'config.json');
    fs.writeFileSync(file, JSON.stringify({ id: 'from-file', etcdEndpoints: ['http://f:1'], logLevel: 'debug' }));
    const c = parseConfig(schema, { PLATTER_CONFIG_FILE: file, PLATTER_ID: 'from-env' });
    expect(c.id).toBe('from-env');
    expect(c.etcdEndpoints).toEqual(['http://f:1']);
    expect(c.logLevel).toBe('debug');
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
