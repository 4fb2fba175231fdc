// Control-plane activity of deployFunction: registerFunctionVersion writes the version a build
// produced, only after the build succeeded, so a failed deploy registers nothing. It runs in
// the api process (control task queue), which owns the database.
import { Context } from '@temporalio/activity';
import type { RegisterVersionInput } from '../shared/deploy.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import { typedActivities } from '../activities/to-failure.js';

/** What the activity needs from the database (implemented in version.store.ts). */
export interface VersionRegistry {
  register(input: RegisterVersionInput & { retried: boolean }): Promise<FunctionVersionSpec>;
}

export function createDeployControlActivities(registry: VersionRegistry) {
  return typedActivities({
    registerFunctionVersion: (input: RegisterVersionInput) =>
      registry.register({ ...input, retried: Context.current().info.attempt > 1 }),
  });
}

export type DeployControlActivities = ReturnType<typeof createDeployControlActivities>;
