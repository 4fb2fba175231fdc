// Every workflow the worker registers. Deterministic code only (see eslint rules).
export { invokeFunction } from './invoke-function.workflow.js';
