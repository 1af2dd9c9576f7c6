import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a computed signature with a provided one in time independent of
 * where they differ. Lengths are not secret (a valid signature is always 64
 * hex characters), so a length mismatch returns at once.
 */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
