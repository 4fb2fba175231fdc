// A chain's names in Temporal: its steps' child workflow ids, their invocation ids, and the
// failure type a failed chain ends with. Free of zod (the workflow bundle imports it).

export const CHAIN_FAILED_TYPE = 'ChainFailed';

/** Workflow id of a step's child: `<chain invocation id>/<step>[/<unit>]` (Web UI tree). */
export function childWorkflowId(chainInvocationId: string, step: string, unit?: string | number): string {
  return unit === undefined ? `${chainInvocationId}/${step}` : `${chainInvocationId}/${step}/${unit}`;
}

/** The child's invocation id: its workflow id with `.` for `/`, as container names allow no `/`
 * (step and branch names contain no `.`, so this stays unique). */
export function childInvocationId(workflowId: string): string {
  return workflowId.replaceAll('/', '.');
}
