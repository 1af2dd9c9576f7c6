export {
  BaseConfigSchema,
  ConfigError,
  CONFIG_FILE_ENV,
  ENV_PREFIX,
  describeConfig,
  envName,
  parseConfig,
} from './config.js';
export type { BaseConfig } from './config.js';
export { runApp } from './run-app.js';
export type { AppDefinition } from './run-app.js';
export { ServiceHost } from './service-host.js';
export type { ServiceHostOptions } from './service-host.js';
export { PLATTER_VERSION } from './version.js';
