import type { IncomingMessage } from 'node:http';
import type { Logger } from '@platter/telemetry';
import type { SignedAuth } from '@platter/s3';
import type { S3Address } from './s3-request.js';

/** One authenticated S3 request as handlers see it. */
export interface S3Call {
  readonly requestId: string;
  readonly method: string;
  readonly address: S3Address;
  readonly req: IncomingMessage;
  readonly auth: SignedAuth;
  /** The account the access key acts for. */
  readonly accountId: string;
  /** Aborted when the client goes away or the request times out. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export interface S3Response {
  status: number;
  headers?: Record<string, string | number>;
  /** XML text, bytes already in memory (inline objects), or a byte stream; none for HEAD and 204. */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
}

export type S3Handler = (call: S3Call) => Promise<S3Response>;
