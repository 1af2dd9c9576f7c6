import type { IncomingMessage } from 'node:http';
import { parseRequestTarget } from '@platter/s3';

// Which bucket and key a request names (libs/s3 decides: path style always,
// virtual-hosted style under the configured base domains; keys are taken
// byte for byte, `../` and `//` included, and never become file paths).

export interface S3Address {
  bucket?: string;
  key?: string;
  /** Query parameters, decoded; repeated names keep the first. */
  query: URLSearchParams;
  /** The path as received, for SigV4 and error `Resource`. */
  rawPath: string;
  rawQuery: string;
}

export function parseAddress(req: IncomingMessage, baseDomains: readonly string[]): S3Address {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  const t = parseRequestTarget(req.headers.host, rawPath, { baseDomains });
  return {
    ...(t.kind !== 'service' ? { bucket: t.bucket } : {}),
    ...(t.kind === 'object' ? { key: t.key } : {}),
    query: new URLSearchParams(rawQuery),
    rawPath,
    rawQuery,
  };
}
