// The data plane's recorders: attempts and warm acquires (as the container activities report
// them), container creates and removes (a wrapper of the ContainerRuntime), code fetches (a
// wrapper of the code cache), and deploy-time builds.
import type { AttemptObserver } from '../activities/attempt-observer.js';
import type { CodeCache } from '../runtime/io/code-cache.js';
import type { ContainerRuntime, ContainerSpec } from '../runtime/docker/container-runtime.js';
import type { Metrics } from './metrics.js';

/** Succeeded, or the failure's kind (a closed set). */
export function outcomeLabel(outcome: { ok: boolean; failure?: { kind: string } }): string {
  return outcome.ok ? 'Succeeded' : (outcome.failure?.kind ?? 'Unknown');
}

export function attemptMetrics(metrics: Metrics): AttemptObserver {
  return {
    attempt(spec, outcome) {
      const labels = metrics.functions.labels(spec.namespace, spec.name, spec.version);
      const start = outcome.cold ? 'cold' : 'warm';
      metrics.attempts.inc({ ...labels, outcome: outcomeLabel(outcome), start });
      metrics.attemptDuration.observe({ namespace: labels.namespace, start }, outcome.durationMs / 1000);
    },
    warmAcquire(result) {
      metrics.warmAcquires.inc({ result });
    },
  };
}

function containerKind(spec: ContainerSpec): string {
  const labels = spec.labels;
  if (labels['caisson.pool']) return 'warm';
  if (labels['caisson.role'] === 'build') return 'build';
  if (labels['caisson.netns']) return 'netns';
  return 'cold';
}

/** The runtime, counting what it asks the engine to create and remove. */
export function countingRuntime(runtime: ContainerRuntime, metrics: Metrics): ContainerRuntime {
  return {
    ...runtime,
    async create(spec: ContainerSpec) {
      const made = await runtime.create(spec);
      metrics.containersCreated.inc({ kind: containerKind(spec) });
      return made;
    },
    async remove(idOrName: string) {
      await runtime.remove(idOrName);
      metrics.containersRemoved.inc();
    },
  };
}

/** The code cache, counting the archives it fetched (its load ran: the version was not cached on this host). */
export function countingCodeCache(cache: CodeCache, metrics: Metrics): CodeCache {
  return {
    ...cache,
    materialize: (artifact, load) => cache.materialize(artifact, async () => {
      const bytes = await load();
      metrics.codeFetches.inc();
      return bytes;
    }),
  };
}

/** buildFunction timed by runtime and outcome (ok, or error when it threw). */
export function timedBuilds<A extends { buildFunction(input: { runtime: string }): Promise<unknown> }>(activities: A, metrics: Metrics): A {
  const buildFunction = async (input: Parameters<A['buildFunction']>[0]) => {
    const end = metrics.buildDuration.startTimer({ runtime: input.runtime });
    try {
      const result = await activities.buildFunction(input);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  };
  return { ...activities, buildFunction };
}
