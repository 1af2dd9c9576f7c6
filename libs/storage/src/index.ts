export { DiskConfigSchema, storageConfigSchema } from './config.js';
export type { DiskConfig } from './config.js';
