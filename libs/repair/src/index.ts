export { repairConfigSchema } from './config.js';
