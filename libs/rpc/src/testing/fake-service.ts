// Test support: a copy of a service descriptor with some properties changed,
// for behaviour the real contracts do not declare (idempotency, missing
// services). Not part of the build.
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';

export interface ServiceOverrides {
  typeName?: string;
  idempotency?: MethodOptions_IdempotencyLevel;
}

/** The same service (same type for ServiceImpl and RpcClient) with its name or its methods' idempotency replaced. */
export function overrideService<S extends DescService>(service: S, overrides: ServiceOverrides): S {
  const fake = { ...service, typeName: overrides.typeName ?? service.typeName } as S;
  const methods: DescMethod[] = service.methods.map((method) => ({
    ...method,
    parent: fake,
    idempotency: overrides.idempotency ?? method.idempotency,
  }));
  const byLocalName: Record<string, DescMethod> = {};
  for (const method of methods) byLocalName[method.localName] = method;
  Object.assign(fake, { methods, method: byLocalName });
  return fake;
}
