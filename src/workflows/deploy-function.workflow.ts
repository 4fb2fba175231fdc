// deployFunction: one workflow per deploy. buildFunction (any data-plane worker: Go compile,
// pip/npm install, upload of the output) → registerFunctionVersion (the api, which owns the
// database). The version exists only once the build succeeded; a build the code breaks fails
// the deploy with the build's output, infrastructure trouble is retried.
import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BuildActivities } from '../activities/build.activities.js';
import type { DeployControlActivities } from '../control/version.activities.js';
import {
  BUILD_FAILED_TYPE,
  type BuildFunctionResult,
  type DeployFunctionInput,
  type DeployStep,
  type DeployStepName,
} from '../shared/deploy.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { deployProgressQuery } from '../shared/workflow-messages.js';

/** Failure types of the build step that the deploy's code causes (shared/errors.ts codes, BuildFailed). */
const CODE_FAULTS = new Set<string>([BUILD_FAILED_TYPE, 'VALIDATION', 'LIMIT_EXCEEDED']);


export async function deployFunction(input: DeployFunctionInput): Promise<FunctionVersionSpec> {
  const steps: DeployStep[] = [
    { name: 'build', status: input.mayNeedBuild ? 'pending' : 'skipped' },
    { name: 'register', status: 'pending' },
  ];
  setHandler(deployProgressQuery, () => ({ deploymentId: input.deploymentId, steps }));
  const mark = (name: DeployStepName, status: DeployStep['status'], detail?: string) => {
    const step = steps.find((s) => s.name === name)!;
    step.status = status;
    if (detail !== undefined) step.detail = detail;
  };

  let artifact = input.version.artifact;
  if (input.mayNeedBuild) {
    const data = proxyActivities<BuildActivities>({
      taskQueue: input.taskQueues.data,
      startToCloseTimeout: '20m',
      heartbeatTimeout: '1m',
      retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: [BUILD_FAILED_TYPE] },
    });
    mark('build', 'running');
    let built: BuildFunctionResult;
    try {
      built = await data.buildFunction({
        deploymentId: input.deploymentId, namespace: input.version.namespace, runtime: input.version.runtime, convention: input.version.convention,
        entry: input.version.entry, source: input.version.artifact,
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      const message = cause instanceof ApplicationFailure ? cause.message : String(err);
      mark('build', 'failed', message);
      mark('register', 'skipped');
      // The code's fault (a build error, an archive refused) keeps its type: the api answers it as bad input.
      const type = cause instanceof ApplicationFailure && cause.type && CODE_FAULTS.has(cause.type) ? cause.type : 'BuildUnavailable';
      throw ApplicationFailure.create({ type, message, nonRetryable: true });
    }
    artifact = built.artifact;
    mark('build', built.kind ? 'succeeded' : 'skipped', describeBuild(built));
  }

  const control = proxyActivities<DeployControlActivities>({
    taskQueue: input.taskQueues.control,
    startToCloseTimeout: '1m',
    retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 10 },
  });
  mark('register', 'running');
  try {
    const spec = await control.registerFunctionVersion({
      deploymentId: input.deploymentId, mode: input.mode, version: input.version, artifact,
      sourceSha256: input.version.artifact.sha256,
    });
    mark('register', 'succeeded', `version ${spec.version}`);
    return spec;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const message = cause instanceof ApplicationFailure ? cause.message : String(err);
    mark('register', 'failed', message);
    // Keep the api's error code (CONFLICT, NOT_FOUND, VALIDATION) as the failure type.
    throw ApplicationFailure.create({ type: cause instanceof ApplicationFailure ? (cause.type ?? 'INTERNAL') : 'INTERNAL', message, nonRetryable: true });
  }
}

function describeBuild(b: BuildFunctionResult): string {
  if (!b.kind) return 'nothing to build';
  const what = { go: 'go build', 'python-deps': 'pip install -r requirements.txt', 'node-deps': 'npm install' }[b.kind];
  return b.cached ? `${what}: reused an earlier build` : `${what}: ${(b.durationMs / 1000).toFixed(1)} s, artifact ${Math.ceil(b.artifact.sizeBytes / 1024)} KiB`;
}
