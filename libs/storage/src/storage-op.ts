/** The storage RPCs, by the name used in logs, metrics and the status mapping. */
export type StorageOp = 'put' | 'get' | 'delete' | 'stat' | 'list' | 'verify' | 'diskInfo';

/** Operations that change a disk: a disk that cannot be written refuses them outright. */
export function isWrite(op: StorageOp): boolean {
  return op === 'put' || op === 'delete';
}
