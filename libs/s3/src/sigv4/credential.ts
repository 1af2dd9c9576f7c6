import { S3_SERVICE, SIGV4_TERMINATOR } from './canonical-request.js';

/** The parsed `Credential` / `X-Amz-Credential` value. */
export interface Credential {
  accessKeyId: string;
  /** `YYYYMMDD`. */
  day: string;
  region: string;
  service: string;
  /** `day/region/service/aws4_request`, exactly as the client signed it. */
  scope: string;
}

const DAY = /^\d{8}$/;

/**
 * Parses `AKID/YYYYMMDD/region/s3/aws4_request`. Returns a reason string on
 * failure so the caller can pick the error code (header vs query auth).
 */
export function parseCredential(value: string): Credential | string {
  const parts = value.split('/');
  if (parts.length !== 5) {
    return 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
  }
  const [accessKeyId, day, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '') return 'the access key id is empty.';
  if (!DAY.test(day)) return `the credential date '${day}' is not in YYYYMMDD format.`;
  if (region === '') return 'the region is empty.';
  if (service !== S3_SERVICE) return `incorrect service '${service}'. This endpoint belongs to 's3'.`;
  if (terminator !== SIGV4_TERMINATOR) {
    return `incorrect terminal '${terminator}'. This endpoint uses 'aws4_request'.`;
  }
  return { accessKeyId, day, region, service, scope: `${day}/${region}/${service}/${terminator}` };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Parses `SignedHeaders` (`host;range;x-amz-date`); undefined when malformed. */
export function parseSignedHeaders(value: string): string[] | undefined {
  if (value === '') return undefined;
  const names = value.split(';');
  for (const name of names) if (!HEADER_NAME.test(name)) return undefined;
  return names;
}
