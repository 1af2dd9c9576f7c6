import { describe, expect, it } from 'vitest';
import { collectBytes as bytesOf } from '../testing/collect.js';
import { fakeCall } from '../testing/fake-call.js';
import { MAX_UNSIZED_BODY_BYTES, sizedRequestBody } from './request-body.js';

describe('sizedRequestBody', () => {
  it('reads a small chunked body without Content-Length whole, to learn its size', async () => {
    const call = fakeCall({
      method: 'PUT',
      headers: { 'transfer-encoding': 'chunked' },
      body: [Buffer.from('ba'), Buffer.from('r')],
    });
    const body = await sizedRequestBody(call);
    expect(body.size).toBe(3);
    expect((await bytesOf(body.chunks)).toString()).toBe('bar');
  });

  it('refuses a chunked body longer than the bound with MissingContentLength', async () => {
    const call = fakeCall({
      method: 'PUT',
      headers: { 'transfer-encoding': 'chunked' },
      body: [Buffer.alloc(MAX_UNSIZED_BODY_BYTES), Buffer.alloc(1)],
    });
    await expect(sizedRequestBody(call)).rejects.toMatchObject({ code: 'MissingContentLength' });
  });

  it('streams a body with Content-Length, and refuses one with neither', async () => {
    const sized = await sizedRequestBody(
      fakeCall({ method: 'PUT', headers: { 'content-length': '3' }, body: [Buffer.from('abc')] }),
    );
    expect(sized.size).toBe(3);
    await expect(sizedRequestBody(fakeCall({ method: 'PUT', headers: {} }))).rejects.toMatchObject({
      code: 'MissingContentLength',
    });
  });
});
