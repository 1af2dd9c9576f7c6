import { describe, expect, it } from 'vitest';
import { parseCopySourceRange } from './copy-source-range.js';

describe('parseCopySourceRange', () => {
  it('reads bytes=first-last within the source', () => {
    expect(parseCopySourceRange('bytes=0-9', 10)).toEqual({ start: 0, end: 9 });
    expect(parseCopySourceRange(' bytes=3-3 ', 10)).toEqual({ start: 3, end: 3 });
    expect(parseCopySourceRange(undefined, 10)).toBeUndefined();
  });

  it('InvalidArgument for every form but bytes=first-last (s3-tests test_multipart_copy_improper_range)', () => {
    for (const bad of [
      '0-2',
      'bytes=0',
      'bytes=hello-world',
      'bytes=0-bar',
      'bytes=hello-',
      'bytes=0-2,3-5',
      'bytes=-3',
      'bytes=5-2',
    ])
      expect(() => parseCopySourceRange(bad, 10), bad).toThrow(
        expect.objectContaining({ code: 'InvalidArgument', status: 400 }),
      );
  });

  it('InvalidRange when the range leaves the source (s3-tests test_multipart_copy_invalid_range)', () => {
    expect(() => parseCopySourceRange('bytes=0-21', 5)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
    expect(() => parseCopySourceRange('bytes=0-0', 0)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
  });
});
