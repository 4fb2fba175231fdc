// runChain: one workflow per chain invocation. Steps run in order; each function call is a
// child invokeFunction workflow with id `<chain invocation id>/<step>[/<branch|index>]`, so the
// Web UI shows the tree and a resumed chain (a new run of the same id) skips what finished.
//
// A synchronous caller starts it with the `chainOutcome` update (update-with-start), answered
// once the chain's outcome is recorded: before the last children have removed their
// containers and closed, which the workflow still waits for before it completes.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  type ChildWorkflowHandle,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { ChainActivities, ChainOutcomeRecord, ChainStepFinishedRecord } from '../control/chain.activities.js';
import type { ChainFailureDetails, ChainSettled, ChainStepError, ChainUnitRecord, RunChainInput, RunChainResult } from '../shared/chain.js';
import { CHAIN_FAILED_TYPE, childInvocationId, childWorkflowId } from '../shared/chain-ids.js';
import { chainOutcomeUpdate, childSucceededSignal, stepInputSignal } from '../shared/workflow-messages.js';
import { INVOCATION_FAILED_TYPE, type InvocationFailureDetails, type InvokeFunctionInput, type StartedNext } from '../shared/invocation.js';
import type { PayloadRef } from '../shared/payload-ref.js';
import { CaissonFunction, CaissonNamespace, CaissonVersion } from '../temporal/search-attributes.js';
import { effectiveSpec, mapRef, nextContainer, runLimited, stepCalls, stepFunctions, type UnitCall } from './chain-steps.js';
import { invokeFunction } from './invoke-function.workflow.js';
import { handOffFor, handsOver, readsStep } from './chain-handoff.js';
import { PATCHES } from './patches.js';

type UnitOutcome = { ok: true; output: PayloadRef } | { ok: false; error: ChainStepError };
type StepOutcome = { ok: true; output: PayloadRef } | { ok: false; error: ChainStepError };

const nowIso = () => new Date(Date.now()).toISOString();


export async function runChain(input: RunChainInput): Promise<RunChainResult> {
  const { definition: def, chainInvocationId: id } = input;
  const control = proxyActivities<ChainActivities>({
    taskQueue: input.taskQueues.control,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '500ms', maximumInterval: '10s' }, // records must land: unbounded
  });
  const outputs: Record<string, PayloadRef> = { ...input.done?.steps };
  const startedAt = nowIso();
  // Step records are not awaited one by one: a step's started record overlaps its children's
  // start, its finished record the next step (two round trips less per step). Every step
  // record lands before the chain's outcome. Children that signalled success finish their
  // removal and record while the chain goes on; the chain closes only after them.
  const records: Promise<unknown>[] = [];
  const finishing: Promise<unknown>[] = [];
  const succeeded = new Map<string, PayloadRef>();
  const startedNext = new Map<string, StartedNext>();
  setHandler(childSucceededSignal, ({ workflowId, result, startedNext: next }) => {
    succeeded.set(workflowId, result);
    if (next) startedNext.set(next.workflowId, next);
  });
  let settled: ChainSettled | undefined;
  setHandler(chainOutcomeUpdate, async () => {
    await condition(() => settled !== undefined);
    return settled!;
  });
  // Runs from before this patch recorded each step's finish in an activity of its own, and the
  // outcome only once every child had closed. With it: a step's finish rides with the next
  // step's start (or with the outcome), one activity and one workflow task less per step
  // (chain5 in bench/invoke.bench.ts); the outcome is recorded, and the caller answered, while
  // the last children still remove their containers.
  const merged = patched(PATCHES.chainRecordsMerged);
  // Runs from before this patch started each step when the one before it had succeeded and this
  // workflow had built its input (chain-handoff.ts).
  const handOff = input.handOff !== false && patched(PATCHES.stepHandOff);
  const run = {
    input, control, outputs, records, finishing, succeeded, startedNext, merged, handOff, staged: new Map<string, Staged>(),
    pendingFinished: [] as PendingFinished[],
  };
  /** Records the outcome (after every step record), answers the update, then lets children finish. */
  const settle = async (record: Omit<ChainOutcomeRecord, 'finishedSteps'>) => {
    dropStaged(run);
    if (merged) await Promise.all(records);
    else await Promise.all([...records, ...finishing]);
    await control.recordChainOutcome(merged ? { ...record, finishedSteps: await takeFinished(run) } : record);
    settled = { status: record.status };
    await Promise.all(finishing);
    await condition(allHandlersFinished);
  };
  try {
    for (let i = 0; i < def.steps.length; i++) {
      const step = def.steps[i]!;
      if (outputs[step.name]) continue; // finished in an earlier run
      const outcome = await runStep({ ...run, index: i });
      if (outcome.ok) {
        outputs[step.name] = outcome.output;
        continue;
      }
      await settle({
        chainInvocationId: id, status: 'FAILED', acceptedAt: input.acceptedAt, failedStep: step.name, error: outcome.error,
        deadLetter: { chain: input.chain, input: input.input, startedAt },
      });
      const details: ChainFailureDetails = { step: step.name, error: outcome.error };
      throw ApplicationFailure.create({
        type: CHAIN_FAILED_TYPE, nonRetryable: true, details: [details],
        message: `step '${step.name}' failed${outcome.error.unit ? ` (${outcome.error.unit})` : ''}: ${outcome.error.kind}: ${outcome.error.message}`,
      });
    }
    const last = def.steps.at(-1)!.name;
    const result = def.output === undefined
      ? outputs[last]!
      : await mapRef({ control, mapping: def.output, context: { input: input.input, steps: outputs }, inlineBytes: input.inlineBytes, blobId: `${id}/output/${input.run}` });
    await settle({ chainInvocationId: id, status: 'SUCCEEDED', acceptedAt: input.acceptedAt, result });
    return { chainInvocationId: id, result };
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => settle({
      chainInvocationId: id, status: 'CANCELLED', acceptedAt: input.acceptedAt, error: { kind: 'Cancelled', message: 'cancelled by request' },
    }));
    throw err;
  }
}

/** A finished step's record, written with the next record once its started record has landed. */
interface PendingFinished {
  record: ChainStepFinishedRecord;
  after: Promise<unknown>;
}

/** The finished records not written yet (taken now), once their started records have landed. */
async function takeFinished(run: { pendingFinished: PendingFinished[] }): Promise<ChainStepFinishedRecord[]> {
  const taken = run.pendingFinished.splice(0);
  await Promise.all(taken.map((p) => p.after));
  return taken.map((p) => p.record);
}

/** A step's child started ahead, waiting for its input; cancelled with its scope if the step never comes. */
interface Staged {
  scope: CancellationScope;
  started: Promise<ChildWorkflowHandle<typeof invokeFunction>>;
  /** It hands over to the step after it, which is then started ahead in turn. */
  handsOver: boolean;
}

interface StepRun {
  input: RunChainInput;
  control: ChainActivities;
  outputs: Record<string, PayloadRef>;
  index: number;
  /** Records started and not yet awaited. */
  records: Promise<unknown>[];
  /** Children that signalled their success and still remove their containers and close. */
  finishing: Promise<unknown>[];
  /** Children that signalled their success (before completing), by workflow id. */
  succeeded: Map<string, PayloadRef>;
  /** Steps whose container the step before started with their input, by workflow id. */
  startedNext: Map<string, StartedNext>;
  /** patched(PATCHES.chainRecordsMerged): finished records wait in pendingFinished for the next record. */
  merged: boolean;
  pendingFinished: PendingFinished[];
  /** patched(PATCHES.stepHandOff) and not turned off: function steps hand over to the next one. */
  handOff: boolean;
  /** Children started ahead, by workflow id, until their step takes them. */
  staged: Map<string, Staged>;
}

async function runStep(run: StepRun): Promise<StepOutcome> {
  const { input, control, index } = run;
  const step = input.definition.steps[index]!;
  const startedAt = nowIso();
  const base = {
    chainInvocationId: input.chainInvocationId, step: step.name, position: index, type: step.type, run: input.run, startedAt,
    functions: [...new Set(stepFunctions(step).map((f) => `${input.specs[f]!.name}@${input.specs[f]!.version}`))],
  };
  let calls: UnitCall[];
  try {
    calls = await stepCalls({ ...run, step, inlineBytes: input.inlineBytes });
  } catch (err) {
    const error: ChainStepError = { kind: 'MappingError', message: failureMessage(err) };
    await control.chainStepStarted({ ...base, children: [], ...(run.merged ? { finishedBefore: await takeFinished(run) } : {}) });
    return finishStep(run, base, { ok: false, error }, {});
  }
  const done = input.done?.units ?? {};
  const pending = calls.filter((c) => !done[c.key]);
  const children = pending.map((c) => ({ invocationId: childInvocationId(c.workflowId), spec: input.specs[c.call.function]!, input: c.payload }));
  const startedRecord = CancellationScope.nonCancellable(async () => control.chainStepStarted(
    run.merged ? { ...base, children, finishedBefore: await takeFinished(run) } : { ...base, children },
  ));
  // Runs from before the overlap awaited the record before starting the children.
  if (patched(PATCHES.overlapStepStarted)) run.records.push(startedRecord);
  else await startedRecord;

  const units: Record<string, ChainUnitRecord> = {};
  let failed = false;
  const limit = step.type === 'map' ? step.map.concurrency : calls.length;
  const results = await runLimited(calls.length, limit, () => failed && !step.continueOnError, async (i) => {
    const c = calls[i]!;
    const stored = done[c.key];
    const outcome: UnitOutcome = stored ? { ok: true, output: stored } : await runUnit(run, c);
    units[c.unit ?? step.name] = {
      status: outcome.ok ? 'SUCCEEDED' : 'FAILED', workflowId: c.workflowId, invocationId: childInvocationId(c.workflowId),
      ...(outcome.ok ? { output: outcome.output } : { error: outcome.error }),
    };
    if (!outcome.ok) failed = true;
    return outcome;
  });

  const firstFailure = results.find((r): r is { ok: false; error: ChainStepError } => r !== undefined && !r.ok);
  const error = firstFailure && { ...firstFailure.error, unit: calls[results.indexOf(firstFailure)]!.unit };
  if (error && !step.continueOnError) return finishStep(run, base, { ok: false, error }, units);
  // continueOnError: a failed call's error is its output.
  const parts = results.map((r) => (r!.ok ? r!.output : { inline: { error: r!.error } }));
  const output = step.type === 'function'
    ? parts[0]!
    : await combine(run, step.type === 'map' ? parts : Object.fromEntries(calls.map((c, i) => [c.unit!, parts[i]!])), step.name);
  return finishStep(run, base, { ok: true, output }, units, error, startedRecord);
}

async function finishStep(
  run: StepRun, base: Omit<Parameters<ChainActivities['chainStepFinished']>[0], 'status' | 'endedAt' | 'units'>,
  outcome: StepOutcome, units: Record<string, ChainUnitRecord>, continuedError?: ChainStepError,
  startedRecord?: Promise<unknown>,
): Promise<StepOutcome> {
  const error = outcome.ok ? continuedError : outcome.error;
  const record: ChainStepFinishedRecord = {
    ...base, status: error ? 'FAILED' : 'SUCCEEDED', endedAt: nowIso(), units,
    ...(outcome.ok ? { output: outcome.output } : {}), ...(error ? { error } : {}),
  };
  // Written after its started record, which it must not be overwritten by: with the next
  // record (merged), or now. Not cancellable: a step that finished is recorded as finished,
  // whatever comes next (the outcome record always carries what is still pending).
  if (run.merged) run.pendingFinished.push({ record, after: startedRecord ?? Promise.resolve() });
  else {
    run.records.push(CancellationScope.nonCancellable(async () => {
      await startedRecord;
      await run.control.chainStepFinished(record);
    }));
  }
  return outcome;
}

/** All parts inline and small: combine here; otherwise the control plane stores the combination. */
async function combine(run: StepRun, parts: PayloadRef[] | Record<string, PayloadRef>, step: string): Promise<PayloadRef> {
  const values = Array.isArray(parts) ? parts : Object.values(parts);
  if (values.every((p) => 'inline' in p)) {
    const inline = Array.isArray(parts)
      ? parts.map((p) => (p as { inline: unknown }).inline)
      : Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, (p as { inline: unknown }).inline]));
    if (JSON.stringify(inline).length <= run.input.inlineBytes) return { inline };
  }
  return run.control.combineChainOutputs({ parts, blobId: `${run.input.chainInvocationId}/${step}/${run.input.run}` });
}

async function runUnit(run: StepRun, c: UnitCall): Promise<UnitOutcome> {
  const { input } = run;
  const staged = run.staged.get(c.workflowId);
  run.staged.delete(c.workflowId);
  const handOff = run.handOff && (staged ? staged.handsOver : handsOver(input, run.index, run.outputs));
  try {
    const starting = staged?.started ?? startChild(invokeFunction, childOptions(run, c, childInput(run, c, handOff)));
    // In this workflow task, beside this step's start (or input): the next step's start.
    if (handOff) stage({ ...run, index: run.index + 1 });
    const child = await starting;
    if (staged) {
      // Usually the step before handed the same input over already; this one counts otherwise.
      const prev = input.definition.steps[run.index - 1]!.name;
      const steps = readsStep(input, run.index + 1, prev) ? { [prev]: run.outputs[prev]! } : {};
      // Its container may run already, started by the step before with this input: said here too,
      // so whichever signal comes first, the step never starts a second one.
      const started = run.startedNext.get(c.workflowId);
      const stepInput = started ? { payload: started.payload, steps, started: started.started } : { payload: c.payload, steps };
      void child.signal(stepInputSignal, stepInput).catch(() => undefined);
    }
    // Whichever comes first: the child's success signal, or its completion (a failure, or a
    // child from before the signal). A child that signalled is awaited with the records.
    let closed = false;
    const completion = child.result().finally(() => void (closed = true));
    const signalled = condition(() => closed || run.succeeded.has(c.workflowId));
    const r = await Promise.race([completion, signalled.then(() => undefined)]);
    if (r?.startedNext) run.startedNext.set(r.startedNext.workflowId, r.startedNext);
    if (r) return { ok: true, output: r.result };
    const early = run.succeeded.get(c.workflowId);
    if (early && !closed) {
      run.finishing.push(completion.catch(() => undefined));
      return { ok: true, output: early };
    }
    const completed = await completion;
    if (completed.startedNext) run.startedNext.set(completed.startedNext.workflowId, completed.startedNext);
    return { ok: true, output: completed.result };
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure && err.cause.type === INVOCATION_FAILED_TYPE) {
      const d = err.cause.details?.[0] as InvocationFailureDetails | undefined;
      return { ok: false, error: { kind: d?.kind ?? 'FunctionError', message: d?.message ?? err.cause.message, attempts: d?.attempts } };
    }
    return { ok: false, error: { kind: 'InfrastructureError', message: failureMessage(err) } };
  }
}

/** A child's input: the unit's payload, the next container to prepare, the hand-off to the next step. */
function childInput(run: StepRun, c: UnitCall, handOff: boolean): InvokeFunctionInput {
  const { input } = run;
  const next = nextContainer({ input, index: run.index, outputs: run.outputs });
  const h = handOff ? handOffFor(input, run.index, run.outputs) : undefined;
  return {
    invocationId: childInvocationId(c.workflowId), spec: effectiveSpec(input.specs[c.call.function]!, c.call), payload: c.payload,
    taskQueues: input.taskQueues, acceptedAt: nowIso(), ...(next ? { prepareNext: next } : {}), ...(h ? { handOff: h } : {}),
  };
}

function childOptions(run: StepRun, c: Pick<UnitCall, 'workflowId'>, args: InvokeFunctionInput) {
  const { input } = run;
  const { spec } = args;
  return {
    workflowId: c.workflowId,
    taskQueue: input.taskQueues.data,
    args: [args] as [InvokeFunctionInput],
    // A resumed chain reruns a failed step under the same id; a finished one is never rerun.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
    typedSearchAttributes: [
      { key: CaissonFunction, value: spec.name },
      { key: CaissonVersion, value: spec.version },
      { key: CaissonNamespace, value: spec.namespace },
    ],
    staticSummary: `${input.chain.name} › ${c.workflowId.slice(input.chainInvocationId.length + 1)}: ${spec.name} v${spec.version}`,
  };
}

/**
 * Starts step run.index's child ahead (a function step): it waits for its input, which the step
 * before hands over (chain-handoff.ts). Its own hand-off reads the outputs known now.
 */
function stage(run: StepRun): void {
  const step = run.input.definition.steps[run.index]!;
  if (step.type !== 'function') return;
  const workflowId = childWorkflowId(run.input.chainInvocationId, step.name);
  const c = { key: step.name, workflowId, call: step, payload: { inline: null } };
  const handsOverNext = handsOver(run.input, run.index, run.outputs);
  const args: InvokeFunctionInput = { ...childInput(run, c, handsOverNext), awaitsInput: true };
  const scope = new CancellationScope();
  const started = scope.run(() => startChild(invokeFunction, childOptions(run, c, args)));
  started.catch(() => undefined); // awaited by its step, which fails as any step whose child did not start
  run.staged.set(workflowId, { scope, started, handsOver: handsOverNext });
}

/** Children started ahead whose step will not run (the chain failed or was cancelled): cancelled, awaited with the others. */
function dropStaged(run: { staged: Map<string, Staged>; finishing: Promise<unknown>[] }): void {
  for (const s of run.staged.values()) {
    s.scope.cancel();
    run.finishing.push(s.started.then((h) => h.result()).catch(() => undefined));
  }
  run.staged.clear();
}

function failureMessage(err: unknown): string {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}

