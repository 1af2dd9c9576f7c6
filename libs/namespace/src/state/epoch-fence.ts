import { NamespaceError } from '../errors.js';

/**
 * The chain-epoch fence (proto/README.md, Epochs and fencing): a caller
 * behind this replica is refused for good (STALE_EPOCH: refresh from etcd), a
 * caller ahead of it is told to retry (RECEIVER_BEHIND: our watch lags).
 * Epoch 0 skips the check (operator tools only).
 */
export function checkChainEpoch(current: bigint, callerEpoch: bigint): NamespaceError | undefined {
  if (callerEpoch === 0n || callerEpoch === current) return undefined;
  if (callerEpoch < current) {
    return new NamespaceError('STALE_EPOCH', `caller epoch ${callerEpoch} is older than ${current}`, {
      currentEpoch: current,
    });
  }
  return new NamespaceError('RECEIVER_BEHIND', `caller epoch ${callerEpoch} is newer than ${current}`, {
    currentEpoch: current,
  });
}
