// Deploying chains (validated, function versions pinned, immutable versions), starting and
// resuming chain invocations, and reading them with per-step status.
import { z } from 'zod';
import type { ChainInvocationRow, ChainVersionRecord, Repositories } from '../../db/index.js';
import { callsOf, ChainDefinitionSchema, type ChainDefinition, type PinnedSpecs, type RunChainInput } from '../../shared/chain.js';
import { checkDefinition } from '../../shared/chain-paths.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { PayloadRef } from '../../shared/payload-ref.js';
import type { InvocationStatus } from '../../shared/types.js';
import { startWithUpdate } from '../../temporal/update-with-start.js';
import { runChain } from '../workflow-refs.js';
import { chainOutcomeUpdate } from '../../shared/workflow-messages.js';
import { chainInvocationView, type ChainInvocationView } from './chain-view.js';
import { createChainLauncher, type ChainLauncherDeps, type ChainStartRequest } from './chain-launch.js';
import { withinMs } from '../../shared/promises.js';

/** A chain invocation is admitted as one invocation of its namespace (its steps are not admitted again). */
export type ChainServiceDeps = ChainLauncherDeps;

export interface ChainVersionView {
  namespace: string;
  name: string;
  version: number;
  definition: ChainDefinition;
  /** The pinned function versions, `name@version` as the definition names them. */
  functions: string[];
  createdAt: string;
}

const TERMINAL: InvocationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

function versionView(v: ChainVersionRecord): ChainVersionView {
  return { namespace: v.namespace, name: v.name, version: v.version, definition: v.definition, functions: Object.keys(v.specs), createdAt: v.createdAt.toISOString() };
}

/** Validates the definition and pins every function to a version. Nothing is stored here. */
export async function compileChain(db: Pick<Repositories, 'functions'>, { namespace, raw }: { namespace: string; raw: unknown }): Promise<{ definition: ChainDefinition; specs: PinnedSpecs }> {
  const parsed = ChainDefinitionSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(raw, parsed.error);
  const definition = parsed.data;
  checkDefinition(definition);
  const specs: PinnedSpecs = {};
  for (const [i, step] of definition.steps.entries()) {
    for (const { unit, call } of callsOf(step)) {
      const [name, v] = call.function.split('@') as [string, string | undefined];
      try {
        const spec = await db.functions.getVersionSpec(namespace, name, v ? Number(v) : 'latest');
        call.function = `${spec.name}@${spec.version}`;
        specs[call.function] = spec;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        const what = v ? `function '${name}' has no version ${v}` : `function '${name}' does not exist`;
        throw new ValidationError(`step '${step.name}'${unit ? ` (branch ${unit})` : ''}: ${what} in namespace '${namespace}'`, `steps.${i}.function`);
      }
    }
  }
  return { definition, specs };
}

/** The first schema problem, naming the step it is in. */
function schemaError(raw: unknown, err: z.ZodError): ValidationError {
  const issue = err.issues[0]!;
  const [top, index, ...rest] = issue.path;
  const steps = (raw as { steps?: Array<{ name?: unknown }> } | null)?.steps;
  if (top === 'steps' && typeof index === 'number') {
    const name = Array.isArray(steps) && typeof steps[index]?.name === 'string' ? `'${steps[index]!.name}'` : `#${index + 1}`;
    return new ValidationError(`step ${name}: ${rest.join('.') || 'step'}: ${issue.message}`, issue.path.join('.'));
  }
  return new ValidationError(`${issue.path.join('.') || 'definition'}: ${issue.message}`, issue.path.join('.'));
}

export function createChainService(deps: ChainServiceDeps) {
  const { db, temporal } = deps;
  const { accept, startOptions, launch, withWarmQuota, acceptRun } = createChainLauncher(deps);
  const compile = (namespace: string, raw: unknown) => compileChain(db, { namespace, raw });

  async function create(input: { namespace: string; definition: unknown }): Promise<ChainVersionView> {
    const compiled = await compile(input.namespace, input.definition);
    return versionView(await db.chains.create({ namespace: input.namespace, name: compiled.definition.name, ...compiled }));
  }

  async function update(input: { namespace: string; definition: unknown }): Promise<ChainVersionView> {
    const compiled = await compile(input.namespace, input.definition);
    return versionView(await db.chains.addVersion({ namespace: input.namespace, name: compiled.definition.name, ...compiled }));
  }

  async function get(input: { namespace: string; name: string; version: number | 'latest' }): Promise<ChainVersionView> {
    return versionView(await db.chains.getVersion(input.namespace, input.name, input.version));
  }

  async function start(req: ChainStartRequest): Promise<{ id: string }> {
    const accepted = await accept(req);
    await launch(accepted);
    return { id: accepted.id };
  }

  /**
   * Starts the chain and waits up to waitMs for its outcome: answered by the chainOutcome
   * update (update-with-start) as soon as the outcome is recorded, without waiting for the last
   * children to remove their containers and close (run-chain.workflow.ts).
   */
  async function invoke(req: ChainStartRequest & { waitMs: number }): Promise<ChainInvocationView> {
    const deadline = Date.now() + req.waitMs;
    const accepted = await accept(req);
    const options = { ...startOptions(accepted), workflowIdConflictPolicy: 'USE_EXISTING' as const };
    // Not answered (e.g. a worker without the update): wait for the run to close.
    if (await startWithUpdate(temporal, { workflow: runChain, options, update: chainOutcomeUpdate }).within(req.waitMs)) {
      const v = await view(accepted.id);
      if (v) return v;
    }
    return wait(accepted.id, Math.max(0, deadline - Date.now()));
  }

  /** Reruns a FAILED chain invocation from its failed step; finished steps keep their outputs. */
  async function resume(req: { id: string; functions?: Record<string, number | 'latest'>; latest?: boolean }): Promise<{ id: string; run: number }> {
    const row = await db.chains.invocations.get(req.id);
    if (!row) throw new NotFoundError('chain invocation', req.id);
    if (row.status !== 'FAILED') throw new ConflictError(`chain invocation ${req.id} is ${row.status}: only a FAILED one can be resumed`);
    const version = await db.chains.getVersion(row.namespace, row.chainName, row.version);
    const specs: PinnedSpecs = { ...row.specs };
    for (const [key, spec] of Object.entries(specs)) {
      const wanted = req.functions?.[spec.name] ?? (req.latest ? 'latest' : undefined);
      if (wanted !== undefined) specs[key] = await db.functions.getVersionSpec(row.namespace, spec.name, wanted);
    }
    for (const name of Object.keys(req.functions ?? {})) {
      if (!Object.values(row.specs).some((s) => s.name === name)) throw new ValidationError(`chain '${row.chainName}' does not call function '${name}'`, 'functions');
    }
    const run = await db.chains.invocations.beginResume(req.id, specs);
    if (run === null) throw new ConflictError(`chain invocation ${req.id} is already being resumed`);
    const payload: PayloadRef = row.inputRef ? { ref: row.inputRef, sizeBytes: 0 } : { inline: row.input ?? null };
    await launch({ id: row.id, version, specs: await withWarmQuota(specs, row.namespace), payload, run, acceptedAt: new Date().toISOString(), done: doneOf(row) });
    return { id: row.id, run };
  }

  async function view(id: string): Promise<ChainInvocationView | null> {
    const row = await db.chains.invocations.get(id);
    if (!row) return null;
    let status = row.status;
    if (!TERMINAL.includes(status)) {
      status = await temporal.workflow.getHandle(id).describe().then((d) => (d.status.name === 'RUNNING' ? 'RUNNING' : status), () => status);
    }
    const result = row.resultRef ? await db.blobs.getJson(row.resultRef) : row.result;
    return chainInvocationView(row, status, result);
  }

  async function wait(id: string, waitMs: number): Promise<ChainInvocationView> {
    // A failed run's details are in the record.
    if (waitMs > 0) await withinMs(temporal.workflow.getHandle(id).result().catch(() => undefined), waitMs);
    const v = await view(id);
    if (!v) throw new NotFoundError('chain invocation', id);
    return v;
  }

  async function cancel(id: string): Promise<ChainInvocationView> {
    const row = await db.chains.invocations.get(id);
    if (!row) throw new NotFoundError('chain invocation', id);
    if (!TERMINAL.includes(row.status)) await temporal.workflow.getHandle(id).cancel();
    return wait(id, 10_000);
  }

  const has = async (id: string): Promise<boolean> => (await db.chains.invocations.get(id)) !== null;

  return { compile, create, update, get, start, invoke, resume, view, wait, cancel, has, acceptRun };
}

/** What a resumed run may skip: whole steps with an output, and finished units of the others. */
function doneOf(row: ChainInvocationRow): NonNullable<RunChainInput['done']> {
  const done: NonNullable<RunChainInput['done']> = { steps: {}, units: {} };
  for (const s of row.steps) {
    if (s.status === 'SUCCEEDED' || (s.status === 'FAILED' && (s.output !== null || s.outputRef))) {
      done.steps[s.name] = s.outputRef ? { ref: s.outputRef, sizeBytes: 0 } : { inline: s.output ?? null };
      continue;
    }
    for (const [unit, u] of Object.entries(s.units ?? {})) {
      if (u.status === 'SUCCEEDED' && u.output) done.units[s.type === 'function' ? s.name : `${s.name}/${unit}`] = u.output;
    }
  }
  return done;
}

export type ChainService = ReturnType<typeof createChainService>;

/** invocations.get / wait / cancel answer for chain invocations too (they share the inv_ ids). */
export function withChainInvocations<T extends {
  get(id: string): Promise<unknown>; wait(id: string, waitMs: number): Promise<unknown>; cancel(id: string): Promise<unknown>;
}>(invocations: T, chains: ChainService): T {
  const isNotFound = (err: unknown) => err instanceof AppError && err.code === 'NOT_FOUND';
  const wrapped = {
    ...invocations,
    async get(id: string) {
      try {
        return await invocations.get(id);
      } catch (err) {
        const chain = isNotFound(err) ? await chains.view(id) : null;
        if (chain) return chain;
        throw err;
      }
    },
    async wait(id: string, waitMs: number) {
      return (await chains.has(id)) ? chains.wait(id, waitMs) : invocations.wait(id, waitMs);
    },
    async cancel(id: string) {
      return (await chains.has(id)) ? chains.cancel(id) : invocations.cancel(id);
    },
  };
  return wrapped as T;
}
