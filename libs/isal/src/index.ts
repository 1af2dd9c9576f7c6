export { DEFAULT_ISAL_ADDON_PATH, loadIsalAddon, type IsalAddon, type IsalLoadResult } from './isal-addon.js';
export {
  crc32c,
  portableCrc32cOf,
  CRC32C_IMPLEMENTATION,
  type Crc32cFunction,
  type Crc32cImplementation,
} from './crc32c.js';
