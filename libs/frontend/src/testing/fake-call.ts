import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { SignedAuth } from '@platter/s3';
import type { Logger } from '@platter/telemetry';
import type { S3Call } from '../http/s3-call.js';

/** A logger that drops everything (unit tests of one handler). */
export const SILENT: Logger = new Proxy({} as Logger, {
  get: (_t, name) => (name === 'child' ? () => SILENT : () => undefined),
});

/** An S3Call for handler unit tests: headers, a query, a body, an unsigned payload. */
export function fakeCall(opts: {
  method?: string;
  bucket?: string;
  key?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: Buffer[];
  accountId?: string;
}): S3Call {
  const req = Readable.from(opts.body ?? []) as unknown as IncomingMessage;
  req.headers = opts.headers ?? {};
  return {
    requestId: 'TEST',
    method: opts.method ?? 'GET',
    address: {
      ...(opts.bucket !== undefined ? { bucket: opts.bucket } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      query: new URLSearchParams(opts.query ?? ''),
      rawPath: '/',
      rawQuery: opts.query ?? '',
    },
    req,
    auth: { kind: 'signed', payload: { kind: 'unsigned' } } as unknown as SignedAuth,
    accountId: opts.accountId ?? 'acct',
    signal: new AbortController().signal,
    logger: SILENT,
  };
}

/** A CompleteMultipartUpload of upload `u1` of `bkt/obj` listing `parts` as (number, ETag). */
export function completeUploadCall(parts: ReadonlyArray<readonly [number, string]>): S3Call {
  const xml = Buffer.from(
    '<CompleteMultipartUpload>' +
      parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>"${etag}"</ETag></Part>`).join('') +
      '</CompleteMultipartUpload>',
  );
  return fakeCall({
    method: 'POST',
    bucket: 'bkt',
    key: 'obj',
    query: 'uploadId=u1',
    headers: { 'content-length': String(xml.length) },
    body: [xml],
  });
}
