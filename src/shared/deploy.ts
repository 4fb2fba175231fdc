// The contract between the deployFunction workflow, its activities and the api: a deploy
// builds the code (Go compile, pip/npm install) on a data-plane worker, then registers the
// version on the control plane, only after the build succeeded.
import type { TaskQueues } from './invocation.js';
import type { Artifact, Convention, FunctionVersionSpec, Runtime } from './types.js';

/** A version's settings as the api resolved them; `artifact` is the uploaded source. */
export type VersionRequest = Omit<FunctionVersionSpec, 'functionId' | 'version'>;

export interface DeployFunctionInput {
  deploymentId: string;
  /** create: version 1 of a new function; update: its next version. */
  mode: 'create' | 'update';
  version: VersionRequest;
  /** false when nothing can need building (one non-Go source file): no data-plane step. */
  mayNeedBuild: boolean;
  taskQueues: TaskQueues;
}

export type BuildKind = 'go' | 'python-deps' | 'node-deps';

export interface BuildFunctionInput {
  deploymentId: string;
  /** Whose build: caches are per namespace, and a build is reused only within its namespace. */
  namespace: string;
  runtime: Runtime;
  convention: Convention;
  entry: string;
  source: Artifact;
}

export interface BuildFunctionResult {
  /** What the version runs: the build output, or the source itself when nothing needed building. */
  artifact: Artifact;
  kind?: BuildKind;
  /** A build of the same source and settings was reused (no container ran). */
  cached: boolean;
  durationMs: number;
  /** The tail of the build's output. */
  log: string;
}

export interface RegisterVersionInput {
  deploymentId: string;
  mode: 'create' | 'update';
  version: VersionRequest;
  /** The artifact to run (replaces version.artifact, which was the source). */
  artifact: Artifact;
  sourceSha256: string;
}

export type DeployStepName = 'build' | 'register';
export type DeployStepStatus = 'pending' | 'running' | 'succeeded' | 'skipped' | 'failed';

export interface DeployStep {
  name: DeployStepName;
  status: DeployStepStatus;
  detail?: string;
}

export interface DeployProgress {
  deploymentId: string;
  steps: DeployStep[];
}

/** The ApplicationFailure type of a build that failed because of the code (compile error, bad requirements). */
export const BUILD_FAILED_TYPE = 'BuildFailed';
