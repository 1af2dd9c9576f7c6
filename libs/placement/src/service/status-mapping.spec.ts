import { commonV1 } from '@platter/proto';
import { Code, RpcError } from '@platter/rpc';
import { describe, expect, it } from 'vitest';
import { DiskFullError, InsufficientDisksError, InvalidAllocationError } from '../placement-errors.js';
import {
  DiskNotEmptyError,
  InvalidDiskStateRequestError,
  InvalidTransitionError,
  NoSuchDiskError,
  StaleEpochError,
} from './disk-state-errors.js';
import { readErrorDetail } from '@platter/rpc';
import { allocationFailureReason, inventoryUnavailable, toPlacementRpcError } from './status-mapping.js';

const R = commonV1.ErrorReason;

function mapped(err: unknown): {
  code: Code;
  reason: commonV1.ErrorReason | undefined;
  detail: commonV1.ErrorDetail | undefined;
} {
  const out = toPlacementRpcError(err);
  if (!(out instanceof RpcError)) throw new Error('not mapped');
  const detail = readErrorDetail(out);
  return { code: out.code, reason: detail?.reason, detail };
}

describe('placement status mapping', () => {
  it('maps allocation errors: INVALID_ARGUMENT, FAILED_PRECONDITION naming the rule, RESOURCE_EXHAUSTED', () => {
    expect(mapped(new InvalidAllocationError('k=0'))).toMatchObject({ code: Code.INVALID_ARGUMENT, reason: undefined });
    const insufficient = mapped(new InsufficientDisksError(9, 6, 'MAX_M_PER_ZONE', []));
    expect(insufficient).toMatchObject({ code: Code.FAILED_PRECONDITION, reason: R.INSUFFICIENT_DISKS });
    expect(insufficient.detail?.resource).toBe('MAX_M_PER_ZONE');
    expect(mapped(new DiskFullError(9, 3, 100))).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, reason: R.DISK_FULL });
  });

  it('maps state errors: NOT_FOUND, FAILED_PRECONDITION with their reasons, INVALID_ARGUMENT', () => {
    expect(mapped(new NoSuchDiskError('d1'))).toMatchObject({ code: Code.NOT_FOUND, reason: R.NO_SUCH_DISK });
    expect(mapped(new InvalidTransitionError('d1', 'active', 'retired'))).toMatchObject({
      code: Code.FAILED_PRECONDITION,
      reason: R.INVALID_TRANSITION,
    });
    expect(mapped(new DiskNotEmptyError('d1', 5))).toMatchObject({
      code: Code.FAILED_PRECONDITION,
      reason: R.DISK_NOT_EMPTY,
    });
    const stale = mapped(new StaleEpochError('d1', 3, 5));
    expect(stale).toMatchObject({ code: Code.FAILED_PRECONDITION, reason: R.STALE_EPOCH });
    expect(stale.detail?.currentEpoch).toBe(5n);
    expect(stale.detail?.resource).toBe('d1');
    expect(mapped(new InvalidDiskStateRequestError('no reason', 'd1')).code).toBe(Code.INVALID_ARGUMENT);
  });

  it('passes RpcErrors through and leaves anything else for libs/rpc to answer INTERNAL', () => {
    const unavailable = inventoryUnavailable();
    expect(toPlacementRpcError(unavailable)).toBe(unavailable);
    expect(unavailable.code).toBe(Code.UNAVAILABLE);
    const bug = new TypeError('oops');
    expect(toPlacementRpcError(bug)).toBe(bug);
  });

  it('labels failures by binding rule, bounded to known names', () => {
    expect(allocationFailureReason(new InsufficientDisksError(9, 6, 'ACTIVE_DISKS', []))).toBe('ACTIVE_DISKS');
    expect(allocationFailureReason(new DiskFullError(9, 3, 1))).toBe('DISK_FULL');
    expect(allocationFailureReason(new InvalidAllocationError('x'))).toBe('INVALID_ARGUMENT');
    expect(allocationFailureReason(inventoryUnavailable())).toBe('UNAVAILABLE');
    expect(allocationFailureReason(new Error('x'))).toBe('INTERNAL');
  });
});
