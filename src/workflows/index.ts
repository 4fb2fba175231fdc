// Every workflow the worker registers. Deterministic code only (see eslint rules).
export { invokeFunction } from './invoke-function.workflow.js';
export { runChain } from './run-chain.workflow.js';
export { deployFunction } from './deploy-function.workflow.js';
export { fireSchedule } from './fire-schedule.workflow.js';
