// What every procedure receives. Built once per api process (no per-request I/O).
import type { Repositories } from '../db/index.js';
import type { ChainService } from './services/chain.service.js';
import type { DeadLetterService } from './services/dead-letter.service.js';
import type { FunctionService } from './services/function.service.js';
import type { InvocationService } from './services/invocation.service.js';

export interface ApiContext {
  db: Repositories;
  functions: FunctionService;
  invocations: InvocationService;
  chains: ChainService;
  deadLetters: DeadLetterService;
}
