// What every procedure receives: the services, built once per api process (no per-request
// I/O), and per request the caller the http server authenticated.
import type { Repositories } from '../db/index.js';
import type { Principal } from './auth/authenticator.js';
import type { OwnerLookup } from './auth/owners.js';
import type { ChainService } from './services/chain.service.js';
import type { DeadLetterService } from './services/dead-letter.service.js';
import type { FunctionService } from './services/function.service.js';
import type { InvocationService } from './services/invocation.service.js';
import type { KeyService } from './services/key.service.js';
import type { SecretService } from './services/secret.service.js';
import type { QuotaService } from './services/quota.service.js';
import type { ScheduleService } from './services/schedule.service.js';
import type { AuditLog } from './audit.js';
import type { BuildLogStore } from './build-log-store.js';
import type { LiveLogStore } from './live-logs.js';
import type { Metrics } from '../observability/metrics.js';

export interface ApiContext {
  db: Repositories;
  functions: FunctionService;
  invocations: InvocationService;
  chains: ChainService;
  deadLetters: DeadLetterService;
  keys: KeyService;
  secrets: SecretService;
  owners: OwnerLookup;
  quotas: QuotaService;
  schedules: ScheduleService;
  /** The audit trail's writer: every mutation is recorded by procedures.ts. */
  audit: AuditLog;
  /** Running builds' output lines, as workers send them (functions.buildLog reads them). */
  buildLogs: BuildLogStore;
  /** Running attempts' output as workers forward it (absent: invocations.logs reads records only). */
  liveLogs?: LiveLogStore;
  /** This process's registry (metrics.summary reads it; absent: no metrics). */
  metrics?: Metrics;
}

export interface RequestContext extends ApiContext {
  principal: Principal;
}
