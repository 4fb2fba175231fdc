// Starting, awaiting, reading and cancelling invocations. The api resolves the function
// version and writes the PENDING record; the workflow does the rest and records the outcome
// before it completes, so once the workflow is closed the database row is final.
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ConflictError, LimitExceededError, NotFoundError } from '../../shared/errors.js';
import { invocationIdForKey, newInvocationId } from '../../shared/ids.js';
import type { InvokeFunctionInput, TaskQueues } from '../../shared/invocation.js';
import type { PayloadRef } from '../../shared/payload-ref.js';
import type { InvocationStatus } from '../../shared/types.js';
import { CaissonFunction, CaissonNamespace, CaissonVersion } from '../../temporal/search-attributes.js';
import type { Repositories, InvocationRow } from '../../db/index.js';

export interface InvocationServiceDeps {
  db: Repositories;
  temporal: Client;
  taskQueues: TaskQueues;
  limits: { payloadBytes: number; inlineBytes: number };
}

export interface StartRequest {
  namespace: string;
  function: string;
  version: number | 'latest';
  payload: unknown;
  idempotencyKey?: string;
}

export interface InvocationView {
  id: string;
  namespace: string;
  function: string;
  version: number;
  status: InvocationStatus;
  result?: unknown;
  error?: { kind: string; message: string; attempts: number; stderrTail?: string };
  attempts: number;
  attemptLog: unknown[];
  cold: boolean | null;
  replayOf: string | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number | null;
  logs: { stdout: string; stderr: string };
}

const TERMINAL: InvocationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export function createInvocationService(deps: InvocationServiceDeps) {
  const { db, temporal, taskQueues, limits } = deps;

  async function start(req: StartRequest & { replayOf?: string }): Promise<{ invocationId: string; deduplicated: boolean }> {
    const spec = await db.functions.getVersionSpec(req.namespace, req.function, req.version);
    const payloadText = JSON.stringify(req.payload ?? null);
    const payloadBytes = Buffer.byteLength(payloadText);
    if (payloadBytes > limits.payloadBytes) throw new LimitExceededError('payload', payloadBytes, limits.payloadBytes);
    const inputHash = createHash('sha256').update(`${spec.name}@${spec.version}\u0000${payloadText}`).digest('hex');
    const invocationId = req.idempotencyKey
      ? await invocationIdForKey(req.namespace, req.idempotencyKey)
      : newInvocationId();

    const large = payloadBytes > limits.inlineBytes;
    const payload: PayloadRef = large
      ? { ref: await db.blobs.put(Buffer.from(payloadText)), sizeBytes: payloadBytes }
      : { inline: req.payload ?? null };
    const { row, created } = await db.invocations.create({
      id: invocationId,
      namespace: req.namespace,
      functionName: spec.name,
      functionId: spec.functionId,
      version: spec.version,
      idempotencyKey: req.idempotencyKey ?? null,
      inputHash,
      input: large ? null : (req.payload ?? null),
      inputRef: large ? (payload as { ref: string }).ref : null,
      replayOf: req.replayOf ?? null,
    });
    if (!created && row.inputHash !== inputHash) {
      throw new ConflictError(`idempotency key '${req.idempotencyKey}' was used with a different function version or input (invocation ${row.id})`);
    }

    const input: InvokeFunctionInput = { invocationId, spec, payload, taskQueues, acceptedAt: row.createdAt.toISOString() };
    try {
      // Starting again with the same id is harmless: a running workflow is reused and a
      // closed one is never re-run, so one key never runs the function twice.
      await temporal.workflow.start('invokeFunction', {
        workflowId: invocationId,
        taskQueue: taskQueues.data,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: CaissonFunction, value: spec.name },
          { key: CaissonVersion, value: spec.version },
          { key: CaissonNamespace, value: spec.namespace },
        ],
        staticSummary: `${spec.namespace}/${spec.name} v${spec.version}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { invocationId, deduplicated: !created };
  }

  /** Waits up to waitMs for the workflow to close; answers the record either way. */
  async function wait(id: string, waitMs: number): Promise<InvocationView> {
    const deadline = Date.now() + waitMs;
    const handle = temporal.workflow.getHandle(id);
    while (Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        handle.result().then(
          () => true,
          // A failed, cancelled or terminated run is closed (its details are in the record);
          // anything else (a long poll cut short, a connection hiccup) means wait on.
          (err: unknown) => err instanceof WorkflowFailedError,
        ),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadline - Date.now()))),
      ]);
      clearTimeout(timer);
      if (closed) break;
      if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    return get(id);
  }

  async function get(id: string): Promise<InvocationView> {
    const row = await db.invocations.get(id);
    if (!row) throw new NotFoundError('invocation', id);
    let status = row.status as InvocationStatus;
    if (!TERMINAL.includes(status)) status = await liveStatus(id, status);
    return toView(row, status, row.resultRef ? JSON.parse((await db.blobs.get(row.resultRef))?.toString('utf8') ?? 'null') : row.result);
  }

  async function liveStatus(id: string, recorded: InvocationStatus): Promise<InvocationStatus> {
    try {
      const d = await temporal.workflow.getHandle(id).describe();
      return d.status.name === 'RUNNING' ? 'RUNNING' : recorded;
    } catch {
      return recorded;
    }
  }

  async function cancel(id: string): Promise<InvocationView> {
    const row = await db.invocations.get(id);
    if (!row) throw new NotFoundError('invocation', id);
    if (!TERMINAL.includes(row.status as InvocationStatus)) {
      await temporal.workflow.getHandle(id).cancel();
      return wait(id, 10_000);
    }
    return get(id);
  }

  return { start, wait, get, cancel };
}

function toView(row: InvocationRow, status: InvocationStatus, result: unknown): InvocationView {
  const attemptLog = (row.attemptLog as unknown[] | null) ?? [];
  const view: InvocationView = {
    id: row.id, namespace: row.namespace, function: row.functionName, version: row.version, status,
    attempts: row.attempts, attemptLog, cold: row.cold, replayOf: row.replayOf,
    createdAt: row.createdAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, durationMs: row.durationMs,
    logs: { stdout: row.stdout ?? '', stderr: row.stderr ?? '' },
  };
  if (status === 'SUCCEEDED') view.result = result;
  if (row.errorKind) {
    const last = attemptLog.at(-1) as { failure?: { stderrTail?: string } } | undefined;
    view.error = { kind: row.errorKind, message: row.errorMessage ?? '', attempts: row.attempts, stderrTail: last?.failure?.stderrTail };
  }
  return view;
}

export type InvocationService = ReturnType<typeof createInvocationService>;
