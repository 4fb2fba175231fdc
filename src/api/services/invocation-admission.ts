// Admitting an invocation: resolve its function version and retry policy, check its payload,
// name it (an idempotency key names it the same every time), admit it under its namespace's
// quotas and write its PENDING row, all before its run is started.
import type { WorkflowStartOptions } from '@temporalio/client';
import { ConflictError, LimitExceededError } from '../../shared/errors.js';
import { invocationIdForKey, newInvocationId } from '../../shared/ids.js';
import type { InvocationCaller } from '../../shared/caller.js';
import type { InvokeFunctionInput } from '../../shared/invocation.js';
import type { PayloadRef } from '../../shared/payload-ref.js';
import { invocationRetryPolicy } from '../../shared/retry-rule.js';
import type { FunctionVersionSpec } from '../../shared/types.js';
import { CaissonFunction, CaissonNamespace, CaissonVersion } from '../../temporal/search-attributes.js';
import type { invokeFunction } from '../../workflows/invoke-function.workflow.js';
import { rowInputOf } from './invocation-input.js';
import type { Repositories } from '../../db/index.js';
import type { TaskQueues } from '../../shared/invocation.js';
import type { InvocationRetry } from '../../shared/retry-rule.js';
import type { QuotaService } from './quota.service.js';

export interface StartRequest {
  namespace: string;
  function: string;
  version: number | 'latest';
  payload: unknown;
  idempotencyKey?: string;
  /** Retries of this invocation; absent: the rule of src/shared/retry-rule.ts. */
  retry?: InvocationRetry;
  /** An /async-function caller's X-Callback-Url (already checked against the allowlist): the outcome is POSTed there. */
  callback?: { url: string };
  /** Who calls (recorded with the invocation): the key, and the client address of an HTTP trigger call. */
  caller?: InvocationCaller;
}

export interface AdmissionDeps {
  db: Repositories;
  taskQueues: TaskQueues;
  limits: { payloadBytes: number; inlineBytes: number };
  quotas: Pick<QuotaService, 'admit' | 'quotasOf' | 'chargeBlob'>;
}

export type InvocationStartOptions = ReturnType<ReturnType<typeof createInvocationAdmission>['workflowOptions']>;

export function createInvocationAdmission(deps: AdmissionDeps) {
  const { db, limits, taskQueues } = deps;

  /**
   * Resolves the version, checks limits, names the invocation and admits it under the
   * namespace's quotas (the caller releases the admission once the row is written); writes
   * nothing but a large payload's blob, and that only once admitted and charged to the
   * namespace's blobBytes quota (past it: 429, nothing stored).
   */
  async function resolveRequest(req: StartRequest & { replayOf?: string }, sync: boolean) {
    // Workers cap the namespace's warm containers with the quota the invocation carries.
    const [stored, quotas] = await Promise.all([db.functions.getVersionSpec(req.namespace, req.function, req.version), deps.quotas.quotasOf(req.namespace)]);
    // The run carries the policy this invocation retries under (a sync invoke: one attempt
    // unless the version's policy was given or the call asks), so workers need no rule of their own.
    const retryPolicy = invocationRetryPolicy({ spec: stored, sync, retry: req.retry });
    const spec: FunctionVersionSpec = { ...stored, retryPolicy, namespaceWarmContainers: quotas.warmContainers };
    const payloadText = JSON.stringify(req.payload ?? null);
    const payloadBytes = Buffer.byteLength(payloadText);
    if (payloadBytes > limits.payloadBytes) throw new LimitExceededError('payload', payloadBytes, limits.payloadBytes);
    const invocationId = req.idempotencyKey
      ? await invocationIdForKey(req.namespace, req.idempotencyKey)
      : newInvocationId();

    const admission = await deps.quotas.admit(req.namespace);
    const large = payloadBytes > limits.inlineBytes;
    const payload: PayloadRef = large
      ? { ref: await storePayload(req.namespace, payloadText, payloadBytes).catch((err: unknown) => { admission.release(false); throw err; }), sizeBytes: payloadBytes }
      : { inline: req.payload ?? null };
    const input: InvokeFunctionInput = {
      invocationId, spec, payload, taskQueues, acceptedAt: new Date().toISOString(), ...(req.callback ? { callback: req.callback } : {}),
    };
    const rowInput = rowInputOf(input, { payloadText, idempotencyKey: req.idempotencyKey, replayOf: req.replayOf, caller: req.caller });
    return { invocationId, rowInput, input, options: workflowOptions(spec, input), admission };
  }

  async function storePayload(namespace: string, text: string, bytes: number): Promise<string> {
    await deps.quotas.chargeBlob(namespace, bytes);
    return db.blobs.put(Buffer.from(text), { namespace });
  }

  /** Resolves the request and writes its PENDING row (or finds the key's row: created=false). */
  async function prepare(req: StartRequest & { replayOf?: string }, sync: boolean) {
    const resolved = await resolveRequest(req, sync);
    const { row, created } = await db.invocations.create(resolved.rowInput).then(
      (r) => { resolved.admission.release(r.created); return r; },
      (err: unknown) => { resolved.admission.release(false); throw err; },
    );
    if (created) return { ...resolved, row, created };
    if (row.inputHash !== resolved.rowInput.inputHash) {
      throw new ConflictError(`idempotency key '${req.idempotencyKey}' was used with a different function version or input (invocation ${row.id})`);
    }
    // The key's invocation was accepted when its row was written (a start now, should the
    // first have been lost, carries that time).
    const input: InvokeFunctionInput = { ...resolved.input, acceptedAt: row.createdAt.toISOString() };
    return { ...resolved, input, options: workflowOptions(input.spec, input), row, created };
  }

  function workflowOptions(spec: FunctionVersionSpec, input: InvokeFunctionInput) {
    // Starting again with the same id is harmless: a running workflow is reused and a
    // closed one is never re-run, so one key never runs the function twice.
    return {
      workflowId: input.invocationId,
      taskQueue: taskQueues.data,
      args: [input] as [InvokeFunctionInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: CaissonFunction, value: spec.name },
        { key: CaissonVersion, value: spec.version },
        { key: CaissonNamespace, value: spec.namespace },
      ],
      staticSummary: `${spec.namespace}/${spec.name} v${spec.version}`,
    } satisfies WorkflowStartOptions<typeof invokeFunction>;
  }

  return { prepare, workflowOptions };
}
