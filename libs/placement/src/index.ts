export { placementConfigSchema } from './config.js';
