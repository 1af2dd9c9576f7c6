export { namespaceConfigSchema } from './config.js';
