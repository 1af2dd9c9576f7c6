/** What a redacted value is replaced with. */
export const REDACTED = '[Redacted]';

// Keys whose values are credentials wherever they appear in a log object.
const SECRET_KEYS = ['authorization', 'x-amz-security-token', 'secretAccessKey', 'secret', 'sessionToken', 'password'];

// Keys that may hold a presigned URL: the query string carries the signature.
const URL_KEYS = ['url', 'originalUrl', 'presignedUrl'];

// Presigned-URL query parameters that grant access (signature, session token) or name the key (credential).
const SENSITIVE_QUERY_PARAMS = new Set([
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'awsaccesskeyid',
]);

// Redaction paths are fixed-depth (no recursive wildcard exists), so cover the
// depths our logs use: `authorization`, `headers.authorization`,
// `req.headers.authorization`. Deeper secrets must not be logged at all.
const MAX_DEPTH = 3;

function pathFor(prefix: string, key: string): string {
  const plain = /^[A-Za-z_$][\w$]*$/.test(key);
  if (prefix === '') return plain ? key : `["${key}"]`;
  return plain ? `${prefix}.${key}` : `${prefix}["${key}"]`;
}

function atAllDepths(keys: readonly string[]): string[] {
  const paths: string[] = [];
  for (let depth = 1; depth <= MAX_DEPTH; depth++) {
    const prefix = Array.from({ length: depth - 1 }, () => '*').join('.');
    for (const key of keys) paths.push(pathFor(prefix, key));
  }
  return paths;
}

/** pino redact paths: credentials at depths 1–3, and URL fields (sanitized, not removed). */
export const REDACT_PATHS: readonly string[] = [...atAllDepths(SECRET_KEYS), ...atAllDepths(URL_KEYS)];

/**
 * Replaces the values of signing query parameters in a URL or path+query,
 * keeping the rest readable for debugging.
 */
export function redactPresignedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
    } catch {
      name = rawName.toLowerCase();
    }
    return SENSITIVE_QUERY_PARAMS.has(name) ? `${rawName}=${REDACTED}` : part;
  });
  return `${url.slice(0, q)}?${parts.join('&')}${hashAt < 0 ? '' : url.slice(hashAt)}`;
}

/** pino censor: URL fields are sanitized, every other matched field is replaced. */
export function censor(value: unknown, path: readonly unknown[]): unknown {
  const key = path[path.length - 1];
  if (typeof key === 'string' && URL_KEYS.includes(key)) {
    return typeof value === 'string' ? redactPresignedUrl(value) : value;
  }
  return REDACTED;
}
