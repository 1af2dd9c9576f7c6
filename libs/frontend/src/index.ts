export { frontendConfigSchema, type FrontendConfig } from './config.js';
export { startFrontend } from './frontend.js';
export type { NamespaceApi } from './s3/namespace-api.js';
