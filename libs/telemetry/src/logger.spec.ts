import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { REDACTED, redactPresignedUrl } from './redaction.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SIGNED =
  '/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261123T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeefcafe';

describe('createLogger', () => {
  it('writes JSON with service, instance, ISO time and level names', () => {
    const sink = capture();
    const log = createLogger({ service: 'storage', instance: 'node-1', destination: sink.stream, level: 'debug' });
    log.child({ component: 'shardstore' }).debug({ diskId: 'd1' }, 'opened');
    const [line] = sink.lines();
    expect(line).toMatchObject({
      service: 'storage',
      instance: 'node-1',
      component: 'shardstore',
      level: 'debug',
      diskId: 'd1',
      msg: 'opened',
    });
    expect(new Date(line?.['time'] as string).toISOString()).toBe(line?.['time']);
  });

  it('redacts credentials at the depths request logs use', () => {
    const sink = capture();
    const log = createLogger({ service: 'frontend', destination: sink.stream });
    log.info(
      {
        req: {
          headers: {
            authorization: 'AWS4-HMAC-SHA256 Credential=AKID/...',
            'x-amz-security-token': 'LEAK-1',
            host: 'h',
          },
        },
        headers: { authorization: 'Bearer LEAK-2' },
        authorization: 'LEAK-3',
        key: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'LEAK-4' },
        s3: { secret: 'LEAK-5', sessionToken: 'LEAK-6' },
        'x-amz-security-token': 'LEAK-7',
      },
      'request',
    );
    const [line] = sink.lines();
    const text = JSON.stringify(line);
    expect(text).not.toContain('AWS4-HMAC');
    expect(text).not.toContain('LEAK');
    expect(line).toMatchObject({
      req: { headers: { authorization: REDACTED, 'x-amz-security-token': REDACTED, host: 'h' } },
      headers: { authorization: REDACTED },
      authorization: REDACTED,
      key: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: REDACTED },
      s3: { secret: REDACTED, sessionToken: REDACTED },
      'x-amz-security-token': REDACTED,
    });
  });

  it('strips signatures and credentials from presigned URLs but keeps the rest readable', () => {
    const sink = capture();
    const log = createLogger({ service: 'frontend', destination: sink.stream });
    log.info({ req: { method: 'GET', url: SIGNED }, url: SIGNED }, 'request');
    const [line] = sink.lines();
    const text = JSON.stringify(line);
    expect(text).not.toContain('deadbeefcafe');
    expect(text).not.toContain('AKIDEXAMPLE');
    const url = (line?.['req'] as { url: string }).url;
    expect(url).toContain('/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(url).toContain(`X-Amz-Signature=${REDACTED}`);
    expect(url).toContain('X-Amz-Expires=60');
    expect(line?.['url']).toBe(url);
  });

  it('redacts the bindings of child loggers too', () => {
    const sink = capture();
    createLogger({ service: 's', destination: sink.stream }).child({ secret: 'bound' }).info('x');
    expect(JSON.stringify(sink.lines()[0])).not.toContain('bound');
  });
});

describe('redactPresignedUrl', () => {
  it('handles case, encoding, fragments and unsigned URLs', () => {
    expect(redactPresignedUrl('/b/k')).toBe('/b/k');
    expect(redactPresignedUrl('/b/k?list-type=2&prefix=a')).toBe('/b/k?list-type=2&prefix=a');
    expect(redactPresignedUrl('http://h/b/k?x-amz-signature=abc#frag')).toBe(
      `http://h/b/k?x-amz-signature=${REDACTED}#frag`,
    );
    expect(redactPresignedUrl('/b/k?X%2DAmz%2DSignature=abc&a=1')).toBe(`/b/k?X%2DAmz%2DSignature=${REDACTED}&a=1`);
    expect(redactPresignedUrl('/b/k?Signature=sig&AWSAccessKeyId=AK&Expires=1')).toBe(
      `/b/k?Signature=${REDACTED}&AWSAccessKeyId=${REDACTED}&Expires=1`,
    );
    expect(redactPresignedUrl('/b/k?%E0%A4%A=1')).toBe('/b/k?%E0%A4%A=1');
  });
});
