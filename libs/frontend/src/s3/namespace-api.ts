import type { MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { namespaceV1 } from '@platter/proto';
import type { CallOptions } from '@platter/rpc';

// What the frontend asks of the namespace: the contract's calls without the
// route, which the router (libs/namespace-client) fills in per partition.

type Service = typeof namespaceV1.NamespaceService;
type Method = keyof Service['method'];
export type NamespaceRequest<M extends Method> = Omit<
  MessageInitShape<Service['method'][M]['input']>,
  'route' | '$typeName'
>;
export type NamespaceResponse<M extends Method> = MessageShape<Service['method'][M]['output']>;

type Used =
  | 'createBucket'
  | 'deleteBucket'
  | 'getBucket'
  | 'listBuckets'
  | 'putObject'
  | 'getObject'
  | 'deleteObject'
  | 'listObjects'
  | 'listObjectVersions'
  | 'setBucketVersioning'
  | 'createMultipartUpload'
  | 'registerPart'
  | 'completeMultipartUpload'
  | 'abortMultipartUpload'
  | 'listParts'
  | 'listMultipartUploads';

export type NamespaceApi = {
  [M in Used]: (req: NamespaceRequest<M>, options?: CallOptions) => Promise<NamespaceResponse<M>>;
};
