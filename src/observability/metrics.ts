// Caisson's Prometheus metrics (prom-client): one registry per process, shared by the roles it
// runs (`caisson dev` runs the api and a worker in one process: its /metrics shows both).
// Every instrument is a counter, gauge or histogram updated synchronously: nothing here awaits,
// so recording costs the hot path a few map lookups.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createLabelCap, type LabelCap } from './label-cap.js';

/** Seconds: from a warm invoke (~20 ms) to the longest invocation (15 min). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const BUILD_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600];

export interface MetricsOptions {
  /** Most distinct (namespace, function, version) label sets; later ones are counted under `_other`. */
  maxFunctionSeries?: number;
}

/** A warm pool as the gauges read it (runtime/pool.ts's stats()). */
export interface PoolStats {
  stats(): Record<string, { idle: number; busy: number; starting: number; waiting: number }>;
}

export function createMetrics(opts: MetricsOptions = {}) {
  const registry = new Registry();
  // The warm pools of the workers in this process, read at scrape time (never on an attempt's path).
  const pools = new Set<PoolStats>();
  collectDefaultMetrics({ register: registry });
  const fnLabels = ['namespace', 'function', 'version'] as const;
  const r = [registry];
  return {
    registry,
    functions: createLabelCap(opts.maxFunctionSeries ?? 500),
    // The control plane (api): one count per invocation record written.
    invocations: new Counter({ name: 'caisson_invocations_total', help: 'Invocations ended, by outcome (Succeeded, Cancelled or the failure kind) and how the last attempt started (cold, warm, none)', labelNames: [...fnLabels, 'outcome', 'start'], registers: r }),
    // Histograms cost a line per bucket and label set at every scrape (slow to format per
    // function, docs/performance.md): they are per namespace; per function, the seconds
    // counter beside the invocations counter gives each function's mean duration.
    invocationDuration: new Histogram({ name: 'caisson_invocation_duration_seconds', help: 'Accepted to ended, per invocation', labelNames: ['namespace', 'outcome'], buckets: LATENCY_BUCKETS, registers: r }),
    invocationSeconds: new Counter({ name: 'caisson_invocation_seconds_total', help: 'Accepted to ended, summed over ended invocations (÷ caisson_invocations_total: the mean)', labelNames: fnLabels, registers: r }),
    queueWait: new Histogram({ name: 'caisson_invocation_queue_wait_seconds', help: 'Accepted to the first attempt\'s start, per invocation', labelNames: ['namespace'], buckets: LATENCY_BUCKETS, registers: r }),
    invocationAttempts: new Counter({ name: 'caisson_invocation_attempts_total', help: 'Attempts of ended invocations (kind: function, or infrastructure when the platform failed)', labelNames: [...fnLabels, 'kind'], registers: r }),
    deadLetters: new Counter({ name: 'caisson_dead_letters_total', help: 'Dead letters recorded', labelNames: ['namespace', 'function'], registers: r }),
    apiRequests: new Histogram({ name: 'caisson_api_request_duration_seconds', help: 'Api requests, by tRPC procedure (or route) and HTTP status', labelNames: ['procedure', 'status'], buckets: LATENCY_BUCKETS, registers: r }),
    // The data plane (workers).
    attempts: new Counter({ name: 'caisson_worker_attempts_total', help: 'Attempts run by this worker, by outcome and start (cold: a container made for it; warm: one already started)', labelNames: [...fnLabels, 'outcome', 'start'], registers: r }),
    attemptDuration: new Histogram({ name: 'caisson_worker_attempt_duration_seconds', help: 'The function\'s run time in its container, per attempt', labelNames: ['namespace', 'start'], buckets: LATENCY_BUCKETS, registers: r }),
    warmAcquires: new Counter({ name: 'caisson_warm_acquires_total', help: 'Warm attempts by what the pool gave: hit (an idle container), started (a new one), none (ran cold instead)', labelNames: ['result'], registers: r }),
    pools,
    warmContainers: new Gauge({ name: 'caisson_warm_pool_containers', help: 'Warm containers of this worker\'s pools by state, and attempts waiting for one', labelNames: ['state'], registers: r,
      collect() {
        const sums = { idle: 0, busy: 0, starting: 0, waiting: 0 };
        for (const p of pools) for (const s of Object.values(p.stats())) for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += s[k];
        for (const [state, n] of Object.entries(sums)) this.set({ state }, n);
      } }),
    warmPools: new Gauge({ name: 'caisson_warm_pools', help: 'Function versions with a warm pool on this worker', registers: r,
      collect() {
        let n = 0;
        for (const p of pools) n += Object.keys(p.stats()).length;
        this.set(n);
      } }),
    containersCreated: new Counter({ name: 'caisson_containers_created_total', help: 'Containers created, by kind (cold, warm, build, netns)', labelNames: ['kind'], registers: r }),
    containersRemoved: new Counter({ name: 'caisson_containers_removed_total', help: 'Container removals asked of the engine', registers: r }),
    codeFetches: new Counter({ name: 'caisson_code_fetches_total', help: 'Function code archives fetched from the api into this worker\'s code cache (a version\'s once per host while it stays cached)', registers: r }),
    buildDuration: new Histogram({ name: 'caisson_build_duration_seconds', help: 'Deploy-time builds (buildFunction), by runtime and outcome', labelNames: ['runtime', 'outcome'], buckets: BUILD_BUCKETS, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
export type { LabelCap };

let processWide: Metrics | undefined;
/** The process's registry: every role started in this process records into it (options: the first call's). */
export function processMetrics(opts: MetricsOptions = {}): Metrics {
  processWide ??= createMetrics(opts);
  return processWide;
}
