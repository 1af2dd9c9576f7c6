import { S3Error } from '../errors.js';
import type { ByteRange } from './range.js';

/** S3's largest copy source (UploadPartCopy without a range, or the range itself): 5 GiB. */
export const MAX_COPY_SOURCE_BYTES = 5 * 1024 ** 3;

const COPY_RANGE = /^bytes=(\d{1,16})-(\d{1,16})$/;

/**
 * Parses UploadPartCopy's `x-amz-copy-source-range` against the source's
 * size. Unlike a GET Range it must be exactly `bytes=first-last` (no suffix,
 * no open end, no list): anything else is InvalidArgument; a range outside
 * the source is InvalidRange. Undefined when the header is absent (the whole
 * source).
 */
export function parseCopySourceRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = COPY_RANGE.exec(header.trim());
  const start = m ? Number(m[1]) : Number.NaN;
  const end = m ? Number(m[2]) : Number.NaN;
  if (!m || start > end)
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      {
        details: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header },
      },
    );
  if (end >= size)
    throw new S3Error('InvalidRange', `The requested range is not satisfiable: the source object is ${size} bytes.`, {
      details: { RangeRequested: header, ActualObjectSize: String(size) },
    });
  return { start, end };
}
