export { auditorConfigSchema } from './config.js';
