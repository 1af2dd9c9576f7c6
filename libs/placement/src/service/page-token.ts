import { Code, RpcError } from '@platter/rpc';

/** Page size when the caller says 0, and the most it may ask for (placement.proto). */
export const DEFAULT_PAGE_SIZE = 1_000;
export const MAX_PAGE_SIZE = 10_000;

export function pageSize(requested: number): number {
  return requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
}

/**
 * Page tokens are opaque to callers: base64url of "<kind>:<position>", where
 * the position is the last disk id returned (ListDisks, sorted by id) or an
 * offset (GetFleetHeat, sorted by heat, which moves between pages anyway).
 */
export function encodePageToken(kind: string, position: string): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

export function decodePageToken(kind: string, token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}:`)) throw new RpcError(Code.INVALID_ARGUMENT, 'malformed page_token');
  return text.slice(kind.length + 1);
}
