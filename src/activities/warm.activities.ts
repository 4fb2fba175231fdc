// The warm path's activities: a whole attempt in a warm container of this worker's pool.
// executeWarm is a local activity of the workflow task; one that outlasts its bound is
// finished by awaitWarm on this worker's host queue (warm-handover.ts).
import { Context } from '@temporalio/activity';
import { resultFileCapBytes } from '../runtime/io/result-protocol.js';
import { warmTarget } from '../runtime/warm/warm-target.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { WarmAttemptResult } from '../shared/invocation.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { RuntimeUnavailableError } from '../shared/errors.js';
import { functionEnv, invocationEnv } from './container-env.js';
import type { ContainerKit } from './container-kit.js';
import { createWarmHandovers, handoverKey } from './warm-handover.js';

/** What one warm attempt runs. */
export interface WarmAttemptInput {
  invocationId: string; attempt: number; spec: FunctionVersionSpec; payload: PayloadRef;
}

interface WarmRun {
  signal: AbortSignal;
  heartbeat: () => void;
}

export function createWarmActivities(kit: ContainerKit) {
  const { deps } = kit;
  // Longer than awaitWarm's schedule-to-start timeout (warm-attempt.ts): by then nobody will claim it.
  const handovers = createWarmHandovers({ unclaimedMs: 30_000 });
  const runWarm = warmAttemptRunner(kit);

  return {
    /**
     * Whether this worker runs warm containers at all (a local activity: when it does not,
     * the workflow goes cold at once instead of spending a round trip on executeWarm).
     */
    async warmEnabled(): Promise<boolean> {
      return Boolean(deps.pool && deps.warmServerDir);
    },

    /**
     * A whole attempt in a warm container of this worker's pool: acquire (free, newly
     * started, or after a bounded wait), run, release (retired after any failure). Answers
     * ran=false when no container can be had, and the workflow takes the cold path. As a
     * local activity given handOverAfterMs, an attempt still running then is handed over
     * (warm-handover.ts): it answers ran='running' and awaitWarm on this worker's host queue
     * answers the outcome.
     */
    async executeWarm(input: WarmAttemptInput & { handOverAfterMs?: number }): Promise<WarmAttemptResult> {
      const ctx = Context.current();
      if (input.handOverAfterMs === undefined || !ctx.info.isLocal) {
        // Local activities do not heartbeat: their workflow task does.
        const heartbeat = () => (ctx.info.isLocal ? undefined : ctx.heartbeat());
        return runWarm(input, { signal: ctx.cancellationSignal, heartbeat });
      }
      const done = await handovers.runBounded({
        key: handoverKey(input.invocationId, input.attempt), boundMs: input.handOverAfterMs, signal: ctx.cancellationSignal,
        work: (signal) => runWarm(input, { signal, heartbeat: () => undefined }),
      });
      return done ?? { ran: 'running', hostTaskQueue: deps.hostTaskQueue };
    },

    /**
     * The outcome of a warm attempt executeWarm handed over on this worker. Heartbeats, so a
     * cancellation stops the function; a worker that lost the attempt (it restarted) answers
     * an infrastructure failure, and the workflow reruns the attempt cold.
     */
    async awaitWarm(input: { invocationId: string; attempt: number }): Promise<WarmAttemptResult> {
      const running = handovers.take<WarmAttemptResult>(handoverKey(input.invocationId, input.attempt));
      if (!running) throw new RuntimeUnavailableError(`warm attempt ${input.attempt} of ${input.invocationId} is not running on this worker`);
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      ctx.cancellationSignal.addEventListener('abort', running.abort, { once: true });
      try {
        return await running.result;
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', running.abort);
      }
    },

    /**
     * Stops a handed-over warm attempt at once (its workflow was cancelled): awaitWarm would
     * learn of the cancellation only at its next heartbeat, and not at all before it started.
     */
    async stopWarm(input: { invocationId: string; attempt: number }): Promise<boolean> {
      return handovers.stop(handoverKey(input.invocationId, input.attempt));
    },
  };
}

/** One warm attempt, start to end (executeWarm, bounded or not). */
function warmAttemptRunner(kit: ContainerKit) {
  const { deps } = kit;
  return async function runWarm(input: WarmAttemptInput, opts: WarmRun): Promise<WarmAttemptResult> {
    const { spec } = input;
    const { pool, warmServerDir } = deps;
    if (!pool || !warmServerDir) return { ran: false, reason: 'warm containers are off on this worker' };
    const { signal, heartbeat } = opts;
    const waiting = setInterval(heartbeat, 2000); // code fetch, image, queue, start
    let lease;
    let payload: string;
    try {
      let codeDir: string;
      [codeDir, payload] = await Promise.all([kit.codeDirFor(spec), kit.payloadText(input.payload), kit.ensureImageOnce(spec.runtime)]);
      const target = warmTarget({
        spec, codeDir: kit.hostPath(codeDir), localCodeDir: codeDir, serverDir: kit.hostPath(warmServerDir), env: functionEnv(spec), netns: deps.netns,
        secrets: { attach: (name) => kit.secrets.attach(spec, name), detach: kit.secrets.detach },
      });
      if (!target) return { ran: false, reason: `the ${spec.runtime} runtime has no warm server` };
      lease = await pool.acquire(target, { signal });
      deps.observe?.warmAcquire(!lease ? 'none' : lease.cold ? 'started' : 'hit');
      if (!lease) return { ran: false, reason: 'no warm container free and the queue is full' };
    } finally {
      clearInterval(waiting);
    }
    let reusable = false;
    const live = kit.liveTap(input.invocationId);
    try {
      const run = await lease.container.invoke({
        env: { ...invocationEnv(input, payload), ...deps.traceEnv?.() }, payload, timeoutMs: spec.limits.timeoutMs,
        ...kit.outputCaps, resultCapBytes: resultFileCapBytes(deps.limits.resultBytes), onProgress: heartbeat, signal, onOutput: live?.push,
      });
      const outcome = await kit.toAttemptOutcome({ invocationId: input.invocationId, spec, outcome: run.outcome, resultFile: run.resultFile });
      reusable = run.reusable && outcome.ok;
      const placed = { ...outcome, cold: lease.cold, containerId: lease.container.id };
      deps.observe?.attempt(spec, placed, input.invocationId);
      return { ran: true, outcome: placed };
    } finally {
      live?.end();
      lease.release(reusable);
    }
  };
}
