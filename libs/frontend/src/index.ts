export { frontendConfigSchema } from './config.js';
