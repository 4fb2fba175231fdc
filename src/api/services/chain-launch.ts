// Starting a chain invocation: admit it under its namespace's quotas, write its row (and a
// large input's blob), then start its runChain run; a resume starts a new run of the same id.
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ChainVersionRecord, Repositories } from '../../db/index.js';
import type { PinnedSpecs, RunChainInput } from '../../shared/chain.js';
import { LimitExceededError } from '../../shared/errors.js';
import { newInvocationId } from '../../shared/ids.js';
import type { PayloadRef } from '../../shared/payload-ref.js';
import { CaissonNamespace } from '../../temporal/search-attributes.js';
import { runChain } from '../workflow-refs.js';
import type { TaskQueues } from '../../shared/invocation.js';
import type { QuotaService } from './quota.service.js';

export type ChainStartRequest = { namespace: string; name: string; version: number | 'latest'; input: unknown };

export type LaunchArgs = { id: string; version: ChainVersionRecord; specs: PinnedSpecs; payload: PayloadRef; run: number; acceptedAt: string; done?: RunChainInput['done'] };

export interface ChainLauncherDeps {
  db: Repositories;
  temporal: Client;
  taskQueues: TaskQueues;
  limits: { payloadBytes: number; inlineBytes: number };
  /** A chain invocation is admitted as one invocation of its namespace (its steps are not admitted again). */
  quotas: Pick<QuotaService, 'admitWhile' | 'quotasOf' | 'chargeBlob'>;
}

export function createChainLauncher(deps: ChainLauncherDeps) {
  const { db, temporal, taskQueues, limits } = deps;

  /** Checks the input, admits the chain invocation under its namespace's quotas and writes its row. */
  async function accept(req: ChainStartRequest, id = newInvocationId()): Promise<LaunchArgs> {
    const version = await db.chains.getVersion(req.namespace, req.name, req.version);
    const text = JSON.stringify(req.input ?? null);
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.payloadBytes) throw new LimitExceededError('payload', bytes, limits.payloadBytes);
    const payload = await deps.quotas.admitWhile(req.namespace, async () => {
      const large = bytes > limits.inlineBytes;
      if (large) await deps.quotas.chargeBlob(req.namespace, bytes);
      const stored: PayloadRef = large ? { ref: await db.blobs.put(Buffer.from(text), { namespace: req.namespace }), sizeBytes: bytes } : { inline: req.input ?? null };
      await db.chains.invocations.create({
        id, namespace: req.namespace, chainName: version.name, chainId: version.chainId, version: version.version,
        input: large ? undefined : (req.input ?? null), inputRef: large ? (stored as { ref: string }).ref : null, specs: version.specs,
      });
      return stored;
    });
    return { id, version, specs: await withWarmQuota(version.specs, req.namespace), payload, run: 1, acceptedAt: new Date().toISOString() };
  }

  /** The steps' specs with the namespace's warmContainers quota, which workers cap warm pools with (not stored). */
  async function withWarmQuota(specs: PinnedSpecs, namespace: string): Promise<PinnedSpecs> {
    const { warmContainers } = await deps.quotas.quotasOf(namespace);
    return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { ...s, namespaceWarmContainers: warmContainers }]));
  }

  function startOptions(a: LaunchArgs) {
    const input: RunChainInput = {
      chainInvocationId: a.id, chain: { id: a.version.chainId, namespace: a.version.namespace, name: a.version.name, version: a.version.version },
      definition: a.version.definition, specs: a.specs, input: a.payload, taskQueues, acceptedAt: a.acceptedAt,
      inlineBytes: limits.inlineBytes, run: a.run, ...(a.done ? { done: a.done } : {}),
    };
    return {
      workflowId: a.id, taskQueue: taskQueues.data, args: [input],
      // resume: a new run of the same id, allowed only after the previous one failed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: CaissonNamespace, value: a.version.namespace }],
      staticSummary: `chain ${a.version.namespace}/${a.version.name} v${a.version.version}${a.run > 1 ? ` (resume ${a.run - 1})` : ''}`,
    } satisfies WorkflowStartOptions<typeof runChain>;
  }

  async function launch(a: LaunchArgs) {
    try {
      await temporal.workflow.start(runChain, startOptions(a));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /**
   * Admits and records a chain invocation without starting its run (a schedule's fire starts it
   * as a child). With an id (derived from the fire) a second call answers the row the first wrote.
   */
  async function acceptRun(req: ChainStartRequest & { id?: string }): Promise<{ id: string; input: RunChainInput; version: ChainVersionRecord }> {
    const row = req.id ? await db.chains.invocations.get(req.id) : null;
    const accepted: LaunchArgs = row
      ? {
        id: row.id, version: await db.chains.getVersion(row.namespace, row.chainName, row.version), specs: await withWarmQuota(row.specs, row.namespace),
        payload: row.inputRef ? { ref: row.inputRef, sizeBytes: 0 } : { inline: row.input ?? null }, run: 1, acceptedAt: row.createdAt.toISOString(),
      }
      : await accept(req, req.id);
    return { id: accepted.id, input: startOptions(accepted).args[0]!, version: accepted.version };
  }

  return { accept, startOptions, launch, withWarmQuota, acceptRun };
}
