// The cold path's activities: a container started for one attempt. pullImage and
// createContainer run as local activities of the workflow task (createContainer names this
// worker's host queue); executeWithTimeout and removeContainer run on that host queue.
import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import { createIoDir, readResultFile } from '../runtime/io/io-dir.js';
import { resultFileCapBytes } from '../runtime/io/result-protocol.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import type { AttemptOutcome, PrepareContainerRequest, StepHandOff } from '../shared/invocation.js';
import type { FunctionVersionSpec, Runtime } from '../shared/types.js';
import type { ChainPrefetch } from './chain-prefetch.js';
import { functionEnv, invocationEnv } from './container-env.js';
import type { ContainerKit } from './container-kit.js';


export interface CreateContainerInput {
  containerName: string; invocationId: string; attempt: number; spec: FunctionVersionSpec;
  payload: PayloadRef; workflowId: string;
  /** A chain step that hands over: the next step's container, prepared from now on. */
  prepareNext?: PrepareContainerRequest;
  /** With prepareNext: the container of the step after the next is prepared too. */
  handOff?: StepHandOff;
}

export interface ExecuteInput {
  containerId: string; containerName: string; invocationId: string; spec: FunctionVersionSpec;
  /** A chain step's: the next step's container, created while this one runs. */
  prepareNext?: PrepareContainerRequest;
  /** With prepareNext, a step that hands over: on success the next step's container starts with its input. */
  handOff?: StepHandOff;
  /** The step before started this attempt's container (containerId unknown then): wait for it here. */
  startedEarly?: { attempt: number };
}

export function createColdActivities(kit: ContainerKit, prefetch: ChainPrefetch) {
  const { deps, ioRoot } = kit;
  return {
    async pullImage(input: { runtime: Runtime }): Promise<{ hostTaskQueue: string }> {
      await kit.ensureImageOnce(input.runtime);
      return { hostTaskQueue: deps.hostTaskQueue };
    },

    async createContainer(input: CreateContainerInput): Promise<{ containerId: string; hostTaskQueue: string }> {
      const { spec } = input;
      prefetch.prepareAhead(input, spec.limits.timeoutMs);
      const prepared = await prefetch.claim({ ...input, payload: () => kit.payloadText(input.payload) });
      if (prepared) return { containerId: prepared, hostTaskQueue: deps.hostTaskQueue };
      // The image: pulled by pullImage, scheduled alongside; waited for here, never pulled twice.
      const [codeDir, payload, , attached] = await Promise.all([
        kit.codeDirFor(spec), kit.payloadText(input.payload), kit.ensureImageOnce(spec.runtime), kit.secrets.attach(spec, input.containerName),
      ]);
      // payload.env too: a retried create may reuse a never-started container made without the payload.
      // The io dir's tmpfs is mounted while the engine creates the container (its path is known).
      const ioDir = join(ioRoot, input.containerName);
      const [, id] = await Promise.all([
        createIoDir(ioRoot, input.containerName, payload, { ...kit.ioDirSize, envFile: true }),
        kit.createFor({ input, codeDir, ioDir, env: { ...functionEnv(spec), ...invocationEnv(input, payload), ...deps.traceEnv?.() }, secrets: attached }),
      ]);
      // The queue of this worker: the container's other steps must run where it exists.
      return { containerId: id, hostTaskQueue: deps.hostTaskQueue };
    },

    async executeWithTimeout(input: ExecuteInput): Promise<AttemptOutcome> {
      const ctx = Context.current();
      const { spec } = input;
      prefetch.prepareAhead(input, spec.limits.timeoutMs);
      const ioDir = join(ioRoot, input.containerName);
      const { containerId, outcome } = input.startedEarly
        ? await attachStarted(input, input.startedEarly.attempt)
        : { containerId: input.containerId, outcome: await executeCreated(input, ioDir) };
      const resultFile = await readResultFile(ioDir, resultFileCapBytes(deps.limits.resultBytes));
      const attempt = await kit.toAttemptOutcome({ invocationId: input.invocationId, spec, outcome, resultFile });
      if (!attempt.ok) prefetch.discardAhead(input);
      const startedNext = attempt.ok && input.prepareNext && input.handOff
        ? prefetch.startEarly(input.prepareNext, input.handOff, attempt.result) : undefined;
      const placed = { ...attempt, cold: true, containerId, ...(startedNext ? { startedNext } : {}) };
      deps.observe?.attempt(spec, placed, input.invocationId);
      return placed;

      /** Starts the created container (a prepared one is released) and waits for it to end. */
      function executeCreated(input: ExecuteInput, ioDir: string) {
        return kit.executeCold(input.containerId, {
          invocationId: input.invocationId, ioDir, timeoutMs: spec.limits.timeoutMs, onProgress: () => ctx.heartbeat(), signal: ctx.cancellationSignal,
        });
      }

      /** The container the step before started with this attempt's input: its run, heartbeating meanwhile. */
      async function attachStarted(input: ExecuteInput, attempt: number) {
        const beat = setInterval(() => ctx.heartbeat(), 1000);
        try {
          return await prefetch.attach({ ...input, attempt }, ctx.cancellationSignal);
        } finally {
          clearInterval(beat);
        }
      }
    },

    async removeContainer(input: { containerName: string; invocationId: string }): Promise<void> {
      await kit.removeCold(input.containerName);
    },
  };
}
