import { describe, expect, it } from 'vitest';
import { contentHeadersOf, storedContentEncoding } from './content-headers.js';

describe('storedContentEncoding', () => {
  it('drops aws-chunked, which framed the request, and keeps the rest in order', () => {
    expect(storedContentEncoding(undefined)).toBe('');
    expect(storedContentEncoding('gzip')).toBe('gzip');
    expect(storedContentEncoding('deflate, gzip')).toBe('deflate, gzip');
    expect(storedContentEncoding('gzip, aws-chunked')).toBe('gzip');
    expect(storedContentEncoding('aws-chunked, gzip')).toBe('gzip');
    expect(storedContentEncoding('aws-chunked')).toBe('');
    expect(storedContentEncoding('AWS-Chunked, aws-chunked')).toBe('');
  });

  it('is what contentHeadersOf stores', () => {
    expect(contentHeadersOf({ 'content-encoding': 'gzip,aws-chunked' }).contentEncoding).toBe('gzip');
  });
});
