export type { SequentialModel, TimedOperation } from './model.js';
export { DEFAULT_MAX_EXPLORED_STATES, searchLinearization, type SearchResult } from './wgl-search.js';
export { registerModel, type RegisterInput, type RegisterOutput, type RegisterValue } from './register-model.js';
export {
  checkRegisterHistory,
  type KeyedOperation,
  type RegisterCheckOptions,
  type RegisterCheckResult,
} from './check-register-history.js';
