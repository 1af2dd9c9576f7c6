import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { MAX_USER_METADATA_BYTES, userMetadataFrom } from './user-metadata.js';

describe('userMetadataFrom', () => {
  it('collects x-amz-meta-* headers without the prefix, lower-cased', () => {
    expect(
      userMetadataFrom({ 'x-amz-meta-color': 'blue', 'X-Amz-Meta-Size': 'L', 'x-amz-meta-': 'ignored', host: 'h' }),
    ).toEqual({ color: 'blue', size: 'L' });
  });

  it('allows exactly 2 KB and refuses more with MetadataTooLarge', () => {
    const value = 'v'.repeat(MAX_USER_METADATA_BYTES - 1);
    expect(userMetadataFrom({ 'x-amz-meta-k': value })).toEqual({ k: value });
    try {
      userMetadataFrom({ 'x-amz-meta-k': `${value}v` });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(S3Error);
      expect((e as S3Error).code).toBe('MetadataTooLarge');
      expect((e as S3Error).details['Size']).toBe(String(MAX_USER_METADATA_BYTES + 1));
    }
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 683 × '€' = 2,049 bytes.
    expect(() => userMetadataFrom({ 'x-amz-meta-': 'x', 'x-amz-meta-a': '€'.repeat(682) })).not.toThrow();
    expect(() => userMetadataFrom({ 'x-amz-meta-a': '€'.repeat(683) })).toThrow(S3Error);
  });
});
