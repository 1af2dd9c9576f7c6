import { Code, RpcError } from '@platter/rpc';

// Opaque to callers: which disk the listing is of and the last shard id
// returned. Binding the disk makes a token from another disk's listing an
// error instead of a silently wrong page.
const TOKEN_VERSION = 1;

export function encodePageToken(diskId: string, after: string): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, d: diskId, a: after }), 'utf8').toString('base64url');
}

/** The shard id to resume after; throws INVALID_ARGUMENT for a token that is not ours or not for this disk. */
export function decodePageToken(token: string, diskId: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new RpcError(Code.INVALID_ARGUMENT, 'malformed page_token');
  }
  const t = parsed as { v?: unknown; d?: unknown; a?: unknown };
  if (t.v !== TOKEN_VERSION || typeof t.a !== 'string' || t.a.length === 0)
    throw new RpcError(Code.INVALID_ARGUMENT, 'malformed page_token');
  if (t.d !== diskId) throw new RpcError(Code.INVALID_ARGUMENT, 'page_token belongs to a listing of another disk');
  return t.a;
}
