// What the container activities' unit tests share: a version spec, what a container run
// answers, and an activity environment that keeps expected failures out of the output.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ExecutionOutcome } from '../../../src/runtime/docker/container-runtime.js';
import { RetryPolicySchema, type FunctionVersionSpec } from '../../../src/shared/types.js';

/** A python script-convention version with a 5 s timeout. */
export const testSpec: FunctionVersionSpec = {
  functionId: 'fn_1', namespace: 'default', name: 'f', version: 1, runtime: 'python', convention: 'script', entry: 'main.py',
  artifact: { sha256: 'a'.repeat(64), format: 'file', fileName: 'main.py', sizeBytes: 1 },
  limits: { timeoutMs: 5000, memoryMb: 64, cpus: 1, network: false }, env: {},
  retryPolicy: RetryPolicySchema.parse({}),
};

/** The worker limits of these tests: results and payloads to 1 MiB, inline to 16 KiB. */
export const testLimits = { payloadBytes: 1 << 20, resultBytes: 1 << 20, logBytes: 64 << 10, inlineBytes: 16 << 10 };

/** A container run that exited 0 in 7 ms with no output, changed by `over`. */
export const ran = (over: Partial<ExecutionOutcome>): ExecutionOutcome => ({
  exitCode: 0, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false,
  oomKilled: false, timedOut: false, cancelled: false, durationMs: 7, ...over,
});

/** An activity environment that logs errors only (each expected failure is otherwise logged as a warning). */
export const mockEnv = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
