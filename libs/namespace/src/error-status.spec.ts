import { fromBinary } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { Code } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { ERROR_DETAIL_KEY } from '@platter/rpc';
import { namespaceErrorStatus, toNamespaceRpcError } from './error-status.js';
import { NamespaceError } from './errors.js';

describe('namespace error statuses', () => {
  it('maps the reasons callers must tell apart to the codes the contract names', () => {
    expect(namespaceErrorStatus('NO_SUCH_BUCKET')).toEqual({
      code: Code.NOT_FOUND,
      reason: commonV1.ErrorReason.NO_SUCH_BUCKET,
    });
    expect(namespaceErrorStatus('NO_SUCH_KEY').reason).not.toBe(namespaceErrorStatus('NO_SUCH_VERSION').reason);
    expect(namespaceErrorStatus('PRECONDITION_FAILED').code).toBe(Code.FAILED_PRECONDITION);
    expect(namespaceErrorStatus('STALE_EPOCH')).toEqual({
      code: Code.FAILED_PRECONDITION,
      reason: commonV1.ErrorReason.STALE_EPOCH,
    });
    expect(namespaceErrorStatus('RECEIVER_BEHIND').code).toBe(Code.UNAVAILABLE);
    expect(namespaceErrorStatus('LOCATION_CHANGED').code).toBe(Code.ABORTED);
    expect(namespaceErrorStatus('BUCKET_ALREADY_OWNED_BY_YOU').code).toBe(Code.ALREADY_EXISTS);
  });

  it('carries the ErrorDetail in the trailers and keeps internal messages off the wire', () => {
    const stale = toNamespaceRpcError(
      new NamespaceError('STALE_EPOCH', 'epoch 3 < 4', { currentEpoch: 4n, resource: 'p7' }),
    );
    const raw = stale.metadata.get(ERROR_DETAIL_KEY)[0];
    expect(raw).toBeInstanceOf(Buffer);
    const detail = fromBinary(commonV1.ErrorDetailSchema, raw as Buffer);
    expect(detail).toMatchObject({ reason: commonV1.ErrorReason.STALE_EPOCH, currentEpoch: 4n, resource: 'p7' });
    const diverged = toNamespaceRpcError(new NamespaceError('DIVERGED', 'entry 9 differs: secret details'));
    expect(diverged.code).toBe(Code.INTERNAL);
    expect(diverged.message).not.toContain('secret');
  });
});
