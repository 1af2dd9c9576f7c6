export {
  describePlacementContract,
  rpcFailure,
  waitForDiskState,
  type PlacementClient,
  type PlacementContractTarget,
} from './placement-contract.js';
export { localClusterDisks, seedInventory, type SeedDisk } from './seed-inventory.js';
