export { binaryPath, type ServerBinary } from './binaries.js';
export { Cleanup } from './cleanup.js';
export { BinaryNotFoundError, CleanupError, ProcessStartError, TestkitError, WaitTimeoutError } from './errors.js';
export { startEtcd, type EtcdHandle, type StartEtcdOptions } from './etcd.js';
export { freePort } from './free-port.js';
export { isAlive, startProcess, type ProcessExit, type ProcessHandle, type StartProcessOptions } from './process.js';
export { pingRedis, startRedis, type RedisHandle, type StartRedisOptions } from './redis.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export {
  shippedProcessSettings,
  startLocalCluster,
  type ShippedProcessSettings,
  type ClusterProcess,
  type LocalCluster,
  type LocalClusterOptions,
} from './local-cluster.js';
