import { healthV1, testingV1Echo } from '@platter/proto';
import { describe, expect, it } from 'vitest';
import { resolveDeadline } from './deadline.js';
import { grpcServiceDefinition, methodPath } from './grpc-definition.js';

describe('grpcServiceDefinition', () => {
  it('gives every method its gRPC path and stream flags from its kind', () => {
    const definition = grpcServiceDefinition(testingV1Echo.EchoService);
    expect(Object.keys(definition)).toEqual(['Echo', 'Upload', 'Download', 'Chat']);
    const flags = Object.fromEntries(
      Object.entries(definition).map(([name, method]) => [
        name,
        [method.path, method.requestStream, method.responseStream],
      ]),
    );
    expect(flags).toEqual({
      Echo: ['/platter.testing.v1.EchoService/Echo', false, false],
      Upload: ['/platter.testing.v1.EchoService/Upload', true, false],
      Download: ['/platter.testing.v1.EchoService/Download', false, true],
      Chat: ['/platter.testing.v1.EchoService/Chat', true, true],
    });
    expect(definition.Echo?.originalName).toBe('echo');
  });

  it('names the health service the way every gRPC health checker expects', () => {
    expect(methodPath(healthV1.Health.method.check)).toBe('/grpc.health.v1.Health/Check');
    expect(methodPath(healthV1.Health.method.watch)).toBe('/grpc.health.v1.Health/Watch');
  });

  it('serializes to something grpc-js can frame and deserializes back', () => {
    const echo = grpcServiceDefinition(testingV1Echo.EchoService).Echo;
    const serialized = echo?.requestSerialize({ text: 'hi', delayMs: 3 });
    const framed = Buffer.alloc((serialized?.length ?? 0) + 5);
    serialized?.copy(framed, 5);
    expect(echo?.requestDeserialize(framed.subarray(5))).toMatchObject({ text: 'hi', delayMs: 3 });
  });
});

describe('resolveDeadline', () => {
  it('takes the default timeout when the call sets neither deadline nor timeout', () => {
    expect(resolveDeadline(undefined, 5_000, 1_000)).toBe(6_000);
    expect(resolveDeadline({}, 5_000, 1_000)).toBe(6_000);
  });

  it('takes the earlier of a deadline and a timeout', () => {
    expect(resolveDeadline({ timeoutMs: 100 }, 5_000, 1_000)).toBe(1_100);
    expect(resolveDeadline({ deadline: 9_000 }, 5_000, 1_000)).toBe(9_000);
    expect(resolveDeadline({ deadline: 9_000, timeoutMs: 100 }, 5_000, 1_000)).toBe(1_100);
    expect(resolveDeadline({ deadline: 1_050, timeoutMs: 100 }, 5_000, 1_000)).toBe(1_050);
  });

  it('refuses a deadline that is not a number', () => {
    expect(() => resolveDeadline({ deadline: Number.NaN }, 5_000, 1_000)).toThrow(TypeError);
  });
});
