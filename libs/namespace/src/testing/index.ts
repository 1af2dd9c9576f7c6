export {
  describeNamespaceContract,
  rpcFailure,
  type NamespaceApi,
  type NamespaceContractTarget,
} from './namespace-contract.js';
export { describeBucketDeletionContract } from './bucket-deletion-contract.js';
export * as requests from './requests.js';
