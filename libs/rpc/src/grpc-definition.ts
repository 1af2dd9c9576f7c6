import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { messageCodec } from './message-codec.js';

/** The HTTP/2 path of a method: `/<package>.<Service>/<Method>`, as every gRPC peer spells it. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Stream flags and serializers grpc-js needs for one method. */
export function grpcMethodDefinition(method: DescMethod): MethodDefinition<unknown, unknown> {
  const input = messageCodec(method.input);
  const output = messageCodec(method.output);
  const kind = method.methodKind;
  return {
    path: methodPath(method),
    requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
    responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
    // grpc-js types serializers as returning Buffer but only reads `length`
    // and calls `copy` (see SerializedMessage): a BulkFrame spares a payload copy.
    requestSerialize: input.serialize as (value: unknown) => Buffer,
    requestDeserialize: input.decode,
    responseSerialize: output.serialize as (value: unknown) => Buffer,
    responseDeserialize: output.decode,
    originalName: method.localName,
  };
}

/**
 * A protobuf-es service as a grpc-js ServiceDefinition, keyed by each
 * method's proto name (`Echo`); handlers are looked up by the same key.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) definition[method.name] = grpcMethodDefinition(method);
  return definition;
}
