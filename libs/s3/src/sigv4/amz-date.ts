const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses the SigV4 basic ISO 8601 timestamp `YYYYMMDDTHHMMSSZ`; undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  // Reject calendar overflow such as month 13 or 31 February.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return date;
}

/** Formats a date as `YYYYMMDDTHHMMSSZ`. */
export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Parses an HTTP-date (RFC 7231 IMF-fixdate, and the obsolete forms
 * `Date.parse` understands); undefined when malformed.
 */
export function parseHttpDate(value: string): Date | undefined {
  // Date.parse accepts far too much (e.g. "1"); require a weekday/month shape.
  if (!/^[A-Za-z]{3},? /.test(value.trim()) && !/^[A-Za-z]{3,9}, \d/.test(value.trim())) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
