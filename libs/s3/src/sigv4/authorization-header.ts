import { S3Error } from '../errors.js';
import { SIGV4_ALGORITHM } from './canonical-request.js';
import { parseCredential, parseSignedHeaders, type Credential } from './credential.js';

/** A parsed `Authorization: AWS4-HMAC-SHA256 …` header. */
export interface AuthorizationHeader {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
}

/**
 * Upper bound on the Authorization header we parse (bytes). A real one is
 * ~200 bytes plus signed header names; this only stops pathological input.
 */
export const MAX_AUTHORIZATION_HEADER_BYTES = 8192;

function malformed(message: string): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`);
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
 * Components may be separated by `,` with or without spaces, in any order.
 */
export function parseAuthorizationHeader(value: string): AuthorizationHeader {
  if (value.length > MAX_AUTHORIZATION_HEADER_BYTES) throw malformed('the header is too long.');
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    if (algorithm === 'AWS') {
      throw new S3Error(
        'InvalidRequest',
        'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
      );
    }
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', {
      details: { ArgumentName: 'Authorization', ArgumentValue: algorithm },
    });
  }
  const fields = new Map<string, string>();
  for (const raw of trimmed.slice(space + 1).split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw malformed(`the component '${part}' is not of the form key=value.`);
    const key = part.slice(0, eq).trim();
    if (fields.has(key)) throw malformed(`the component '${key}' appears twice.`);
    fields.set(key, part.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credentialText === undefined) throw malformed("missing 'Credential'.");
  if (signedHeadersText === undefined) throw malformed("missing 'SignedHeaders'.");
  if (signature === undefined) throw malformed("missing 'Signature'.");
  const credential = parseCredential(credentialText);
  if (typeof credential === 'string') throw malformed(credential);
  const signedHeaders = parseSignedHeaders(signedHeadersText);
  if (!signedHeaders) throw malformed('SignedHeaders is not a ;-separated list of lower-case header names.');
  return { credential, signedHeaders, signature };
}
