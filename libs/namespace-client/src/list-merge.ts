import { create } from '@bufbuild/protobuf';
import { namespaceV1 } from '@platter/proto';
import { compareBytes, compareUtf8, immediateSuccessor, prefixSuccessor, utf8 } from './bytes.js';
import {
  afterKey,
  afterPrefix,
  decodeContinuationToken,
  encodeContinuationToken,
  type ListPosition,
} from './list-position.js';

/**
 * Merging the pages that several partitions return for one S3 listing.
 *
 * Keys are spread over partitions by a hash of (bucket, key), so every
 * listing asks every partition for a page from the same position and merges
 * them. Each partition's page is sorted and complete below its own stopping
 * point; the merged page may only show what lies below the lowest stopping
 * point of the partitions that have more, or it could skip a key that a
 * partition has not reached yet. Common prefixes found by several partitions
 * are shown once. The merged page's token has the same form as a single
 * partition's, so the next page is asked of every partition again.
 */

interface MergeItem<T> {
  /** Sort position: the key or common prefix, ordered by its UTF-8 bytes (compareUtf8). */
  key: string;
  row?: T;
  prefix?: string;
}

interface MergeCut<T> {
  shown: Array<MergeItem<T>>;
  /** More items wait below the bound (the page was cut at max). */
  cutAtMax: boolean;
}

/** Sorts, removes repeated common prefixes, keeps items below `bound`, and cuts at `max`. */
function mergeItems<T>(pages: Array<Array<MergeItem<T>>>, bound: Uint8Array | undefined, max: number): MergeCut<T> {
  // A stable sort keeps each partition's own order among equal keys (a key's
  // versions or uploads all come from the one partition that owns it).
  // Strings compared in UTF-8 byte order, not encoded: encoding every key of
  // a 1,000-key page to compare Buffers was ~10% of the router's listing CPU.
  const all = pages.flat().sort((a, b) => compareUtf8(a.key, b.key));
  // What lies below the bound is a prefix of `all`: found by bisection, so only
  // a few keys are encoded (the bound is bytes, maybe not valid UTF-8).
  let end = all.length;
  if (bound !== undefined) {
    let lo = 0;
    while (lo < end) {
      const mid = (lo + end) >>> 1;
      if (compareBytes(utf8((all[mid] as MergeItem<T>).key), bound) < 0) lo = mid + 1;
      else end = mid;
    }
  }
  const kept: Array<MergeItem<T>> = [];
  for (let i = 0; i < end; i++) {
    const item = all[i] as MergeItem<T>;
    const previous = kept[kept.length - 1];
    if (item.prefix !== undefined && previous?.prefix !== undefined && previous.key === item.key) continue;
    kept.push(item);
  }
  return { shown: kept.slice(0, max), cutAtMax: kept.length > max };
}

function laterPosition(a: ListPosition, b: ListPosition): ListPosition {
  return compareBytes(a.start, b.start) >= 0 ? a : b;
}

/** Merges the ListObjects pages of every partition for one request into one S3 page. */
export function mergeListObjectsPages(
  pages: readonly namespaceV1.ListObjectsResponse[],
  request: { bucket: string; prefix: string; delimiter: string; maxKeys: number },
): namespaceV1.ListObjectsResponse {
  const max = request.maxKeys === 0 ? 1000 : Math.min(request.maxKeys, 1000);
  let bound: ListPosition | undefined;
  const itemPages = pages.map((page) => {
    if (page.isTruncated) {
      const position = decodeContinuationToken(page.nextContinuationToken, request);
      if (position === undefined) throw new RangeError('a partition page carries a token from another listing');
      bound =
        bound === undefined || compareBytes(position.start, bound.start) < 0
          ? position
          : compareBytes(position.start, bound.start) === 0
            ? { start: bound.start, insidePrefix: bound.insidePrefix || position.insidePrefix }
            : bound;
    }
    return [
      ...page.objects.map((o): MergeItem<namespaceV1.ObjectSummary> => ({ key: o.key, row: o })),
      ...page.commonPrefixes.map((p): MergeItem<namespaceV1.ObjectSummary> => ({ key: p, prefix: p })),
    ];
  });
  const { shown, cutAtMax } = mergeItems(itemPages, bound?.start, max);
  const response = create(namespaceV1.ListObjectsResponseSchema);
  for (const item of shown) {
    if (item.row) response.objects.push(item.row);
    else if (item.prefix !== undefined) response.commonPrefixes.push(item.prefix);
  }
  const last = shown[shown.length - 1];
  const afterLast = last === undefined ? undefined : last.row ? afterKey(utf8(last.key)) : afterPrefix(utf8(last.key));
  let next: ListPosition | undefined;
  if (cutAtMax) next = afterLast;
  // Stopped at the lowest partition's bound; if the last item shown is a
  // common prefix that contains the bound, resume after the whole prefix.
  else if (bound !== undefined) next = afterLast === undefined ? bound : laterPosition(bound, afterLast);
  response.isTruncated = next !== undefined;
  response.nextContinuationToken = next === undefined ? '' : encodeContinuationToken(next, request);
  return response;
}

/**
 * Where a marker-paged partition page (versions, uploads) stopped, as an
 * exclusive bound on key bytes: its last row's key is complete (a key lives in
 * one partition), a last common prefix covers every key under it.
 */
function markerBound(nextKeyMarker: string, nextIdMarker: string): Buffer {
  const marker = utf8(nextKeyMarker);
  return nextIdMarker === '' ? (prefixSuccessor(marker) ?? immediateSuccessor(marker)) : immediateSuccessor(marker);
}

function lowestBound(bounds: Array<Buffer | undefined>): Buffer | undefined {
  let lowest: Buffer | undefined;
  for (const b of bounds) if (b !== undefined && (lowest === undefined || compareBytes(b, lowest) < 0)) lowest = b;
  return lowest;
}

/** Merges the ListObjectVersions pages of every partition for one request. */
export function mergeListObjectVersionsPages(
  pages: readonly namespaceV1.ListObjectVersionsResponse[],
  request: { maxKeys: number },
): namespaceV1.ListObjectVersionsResponse {
  const max = request.maxKeys === 0 ? 1000 : Math.min(request.maxKeys, 1000);
  const bound = lowestBound(
    pages.map((p) => (p.isTruncated ? markerBound(p.nextKeyMarker, p.nextVersionIdMarker) : undefined)),
  );
  const { shown, cutAtMax } = mergeItems(
    pages.map((page) => [
      ...page.versions.map((v): MergeItem<namespaceV1.ObjectSummary> => ({ key: v.key, row: v })),
      ...page.commonPrefixes.map((p): MergeItem<namespaceV1.ObjectSummary> => ({ key: p, prefix: p })),
    ]),
    bound,
    max,
  );
  const response = create(namespaceV1.ListObjectVersionsResponseSchema);
  for (const item of shown) {
    if (item.row) response.versions.push(item.row);
    else if (item.prefix !== undefined) response.commonPrefixes.push(item.prefix);
  }
  response.isTruncated = cutAtMax || bound !== undefined;
  const last = shown[shown.length - 1];
  if (response.isTruncated && last !== undefined) {
    response.nextKeyMarker = last.row ? last.row.key : (last.prefix ?? '');
    response.nextVersionIdMarker = last.row ? last.row.versionId : '';
  }
  return response;
}

/** Merges the ListMultipartUploads pages of every partition for one request. */
export function mergeListMultipartUploadsPages(
  pages: readonly namespaceV1.ListMultipartUploadsResponse[],
  request: { maxUploads: number },
): namespaceV1.ListMultipartUploadsResponse {
  const max = request.maxUploads === 0 ? 1000 : Math.min(request.maxUploads, 1000);
  const bound = lowestBound(
    pages.map((p) => (p.isTruncated ? markerBound(p.nextKeyMarker, p.nextUploadIdMarker) : undefined)),
  );
  const { shown, cutAtMax } = mergeItems(
    pages.map((page) => [
      ...page.uploads.map((u): MergeItem<namespaceV1.MultipartUpload> => ({ key: u.key, row: u })),
      ...page.commonPrefixes.map((p): MergeItem<namespaceV1.MultipartUpload> => ({ key: p, prefix: p })),
    ]),
    bound,
    max,
  );
  const response = create(namespaceV1.ListMultipartUploadsResponseSchema);
  for (const item of shown) {
    if (item.row) response.uploads.push(item.row);
    else if (item.prefix !== undefined) response.commonPrefixes.push(item.prefix);
  }
  response.isTruncated = cutAtMax || bound !== undefined;
  const last = shown[shown.length - 1];
  if (response.isTruncated && last !== undefined) {
    response.nextKeyMarker = last.row ? last.row.key : (last.prefix ?? '');
    response.nextUploadIdMarker = last.row ? last.row.uploadId : '';
  }
  return response;
}
