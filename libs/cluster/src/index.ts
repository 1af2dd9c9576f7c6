export { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from './backoff.js';
export {
  DEFAULT_BLOCK_SIZE_BYTES,
  DEFAULT_EC_CODEC,
  DEFAULT_EC_K,
  DEFAULT_EC_M,
  DEFAULT_PARTITIONS,
  defaultClusterConfig,
  ensureClusterConfig,
  readClusterConfig,
} from './cluster-config.js';
export { ClusterConfigMissingError, waitForClusterConfig } from './cluster-config-wait.js';
export { connectEtcd, DEFAULT_ETCD_REQUEST_TIMEOUT_MS, type ConnectEtcdOptions } from './etcd-client.js';
export {
  AccessKeyConflictError,
  ClosedError,
  ClusterError,
  CodecError,
  EtcdUnavailableError,
  KeyspaceError,
} from './errors.js';
export { bootstrapRootAccessKey, createAccessKey, getAccessKey, newAccessKey, type RootAccessKey } from './iam.js';
export {
  AccessKeyRecordCodec,
  AccessKeyRecordSchema,
  AccountRecordCodec,
  AccountRecordSchema,
  CandidateRecordCodec,
  CandidateRecordSchema,
  ChainRecordCodec,
  ChainRecordSchema,
  ClusterConfigCodec,
  ClusterConfigSchema,
  DEFAULT_ROOT,
  defineCodec,
  DISK_STATES,
  DiskLiveRecordCodec,
  DiskLiveRecordSchema,
  DiskRecordCodec,
  DiskRecordSchema,
  FailureDomainSchema,
  Keyspace,
  MAX_PARTITIONS,
  MemberRecordCodec,
  MemberRecordSchema,
  WorkClaimRecordCodec,
  WorkClaimRecordSchema,
  type AccessKeyRecord,
  type AccountRecord,
  type CandidateRecord,
  type ChainRecord,
  type ClusterConfig,
  type Codec,
  type DiskLiveRecord,
  type DiskRecord,
  type DiskState,
  type FailureDomain,
  type MemberRecord,
  type WorkClaimRecord,
} from './keyspace.js';
export {
  LeaderElection,
  readElectionLeader,
  type DeposedReason,
  type ElectedEvent,
  type ElectionLeader,
  type LeaderElectionOptions,
} from './leader-election.js';
export { LeaseKeeper, REVOKE_TIMEOUT_MS, type GrantLeaseOptions, type LeaseLossReason } from './lease-keeper.js';
export { MemberView, type MemberViewOptions } from './member-view.js';
export { DEFAULT_REGISTER_TIMEOUT_MS, Membership, type MembershipOptions, type RegisteredEvent } from './membership.js';
export { PrefixCache, type PrefixCacheOptions, type PrefixChange } from './prefix-cache.js';
export { isRole, ROLES, type Role } from './roles.js';
export type { Etcd3 } from 'etcd3';
