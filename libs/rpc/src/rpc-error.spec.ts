import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Code, codeName, isCode } from './code.js';
import { RpcError, toRpcError } from './rpc-error.js';

describe('Code', () => {
  it('has the numbers grpc-js and every other gRPC peer use', () => {
    for (const [name, value] of Object.entries(Code)) {
      expect(status[name as keyof typeof status], name).toBe(value);
      expect(codeName(value)).toBe(name);
    }
    expect(Object.keys(Code)).toHaveLength(17);
  });

  it('tells status codes from other numbers', () => {
    expect(isCode(0)).toBe(true);
    expect(isCode(16)).toBe(true);
    expect(isCode(17)).toBe(false);
    expect(isCode(-1)).toBe(false);
    expect(isCode(1.5)).toBe(false);
    expect(isCode('1')).toBe(false);
  });
});

describe('toRpcError', () => {
  it('keeps code, details and trailing metadata of a grpc-js ServiceError', () => {
    const metadata = new Metadata();
    metadata.set('retry-after', '3');
    const serviceError = Object.assign(new Error('5 NOT_FOUND: no shard'), {
      code: status.NOT_FOUND,
      details: 'no shard',
      metadata,
    });
    const error = toRpcError(serviceError);
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(Code.NOT_FOUND);
    expect(error.message).toBe('no shard');
    expect(error.metadata.get('retry-after')).toEqual(['3']);
    expect(error.cause).toBe(serviceError);
  });

  it('returns an RpcError unchanged', () => {
    const error = new RpcError(Code.ABORTED, 'lost the race');
    expect(toRpcError(error)).toBe(error);
  });

  it('makes anything without a status code INTERNAL', () => {
    expect(toRpcError(new TypeError('bad')).code).toBe(Code.INTERNAL);
    expect(toRpcError({ code: 'ECONNRESET' }).code).toBe(Code.INTERNAL);
    expect(toRpcError('text').message).toBe('text');
  });

  it('prints its code by name', () => {
    expect(String(new RpcError(Code.DATA_LOSS, 'crc mismatch'))).toBe('RpcError DATA_LOSS: crc mismatch');
  });
});
