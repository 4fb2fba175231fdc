// The database side of the chain activities: step rows, child invocation rows, outcomes, dead
// letters, and mappings over values stored by reference. Keyed writes: a retry repeats them.
import { createHash } from 'node:crypto';
import type { ChainOutcomeRecord, ChainStepFinishedRecord, ChainStore } from './chain.activities.js';
import type { Repositories } from '../db/index.js';
import { evaluateMapping, MappingError, pathsIn, type PathContext } from '../shared/chain-paths.js';
import { ValidationError } from '../shared/errors.js';
import { isInline, toPayloadRef, type PayloadRef } from '../shared/payload-ref.js';
import { FAILURE_KINDS, type FailureKind } from '../shared/types.js';

export function createChainStore(db: Repositories, limits: { inlineBytes: number }): ChainStore {
  async function load(ref: PayloadRef): Promise<unknown> {
    if (isInline(ref)) return ref.inline;
    const bytes = await db.blobs.get(ref.ref);
    if (!bytes) throw new ValidationError(`stored value ${ref.ref} is missing`);
    return JSON.parse(bytes.toString('utf8'));
  }

  /**
   * Small values stay inline; big ones become a blob with an id derived from `key` (which
   * starts with the chain invocation's id), charged to the chain's namespace. Not refused at
   * the blobBytes quota: the chain was admitted, and these values are built from its input and
   * step outputs, each of which was.
   */
  function toRef(value: unknown, key: string): Promise<PayloadRef> {
    return toPayloadRef(value, limits.inlineBytes, async (json) => {
      const id = `blob_c${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
      const chainInvocationId = key.split('/', 1)[0]!;
      const namespace = await db.chains.invocations.namespaceOf(chainInvocationId);
      if (namespace === null) throw new ValidationError(`chain invocation ${chainInvocationId} is not recorded`);
      return db.blobs.put(Buffer.from(json), { id, namespace });
    });
  }

  const writeFinished = (r: ChainStepFinishedRecord) => writeFinishedStep(db, r);

  return {
    async chainStepStarted(r) {
      for (const finished of r.finishedBefore ?? []) await writeFinished(finished);
      await db.chains.invocations.markRunning(r.chainInvocationId, new Date(r.startedAt));
      for (const child of r.children) {
        const input = split(child.input);
        await db.invocations.create({
          id: child.invocationId, namespace: child.spec.namespace, functionName: child.spec.name,
          functionId: child.spec.functionId, version: child.spec.version,
          input: input.ref ? undefined : input.value, inputRef: input.ref,
        });
      }
      await db.chains.invocations.writeStep({
        chainInvocationId: r.chainInvocationId, name: r.step, position: r.position, type: r.type, status: 'RUNNING',
        functions: r.functions, run: r.run, startedAt: new Date(r.startedAt),
      });
    },

    chainStepFinished: writeFinished,

    async recordChainOutcome(r) {
      for (const finished of r.finishedSteps ?? []) await writeFinished(finished);
      const endedAt = new Date();
      const result = split(r.result);
      await db.chains.invocations.complete({
        id: r.chainInvocationId, status: r.status, result: result.value, resultRef: result.ref,
        failedStep: r.failedStep ?? null, errorKind: r.error?.kind ?? null, errorMessage: r.error?.message ?? null,
        endedAt, durationMs: endedAt.getTime() - new Date(r.acceptedAt).getTime(),
      });
      if (r.status !== 'FAILED' || !r.deadLetter) return;
      await db.deadLetters.record(chainDeadLetter(r, r.deadLetter, endedAt));
    },

    async evaluateChainMapping(r) {
      const roots = new Set(pathsIn(r.mapping).map((p) => (p.root === 'steps' ? `steps.${p.step}` : p.root)));
      const ctx: PathContext = { input: null, steps: {}, index: r.context.index };
      if (roots.has('input')) ctx.input = await load(r.context.input);
      if (roots.has('item') && r.context.item) ctx.item = await load(r.context.item);
      for (const [name, ref] of Object.entries(r.context.steps)) {
        if (roots.has(`steps.${name}`)) ctx.steps[name] = await load(ref);
      }
      let value: unknown;
      try {
        value = evaluateMapping(r.mapping, ctx);
      } catch (err) {
        if (err instanceof MappingError) throw new ValidationError(err.message);
        throw err;
      }
      if (!r.asArray) return toRef(value, r.blobId);
      if (!Array.isArray(value)) throw new ValidationError(`map items ${JSON.stringify(r.mapping)} is not an array`);
      return Promise.all(value.map((v, i) => toRef(v, `${r.blobId}/${i}`)));
    },

    async combineChainOutputs(r) {
      const value = Array.isArray(r.parts)
        ? await Promise.all(r.parts.map(load))
        : Object.fromEntries(await Promise.all(Object.entries(r.parts).map(async ([k, v]) => [k, await load(v)] as const)));
      return toRef(value, r.blobId);
    },
  };
}

/** A stored value as its row keeps it: inline in a JSON column, or the id of its blob. */
const split = (ref: PayloadRef | undefined) =>
  ref === undefined ? { value: null, ref: null } : isInline(ref) ? { value: ref.inline, ref: null } : { value: null, ref: ref.ref };

async function writeFinishedStep(db: Repositories, r: ChainStepFinishedRecord): Promise<void> {
  const out = split(r.output);
  const endedAt = new Date(r.endedAt);
  await db.chains.invocations.writeStep({
    chainInvocationId: r.chainInvocationId, name: r.step, position: r.position, type: r.type, status: r.status,
    functions: r.functions, run: r.run, output: out.value, outputRef: out.ref, error: r.error ?? null, units: r.units,
    startedAt: new Date(r.startedAt), endedAt, durationMs: endedAt.getTime() - new Date(r.startedAt).getTime(),
  });
}

/** A failed chain's dead letter: functionId is the chain's id (ch_…), functionName the chain's name. */
function chainDeadLetter(r: ChainOutcomeRecord, letter: NonNullable<ChainOutcomeRecord['deadLetter']>, endedAt: Date) {
  const { chain, input, startedAt } = letter;
  const kind: FailureKind = (FAILURE_KINDS as readonly string[]).includes(r.error?.kind ?? '') ? (r.error!.kind as FailureKind) : 'FunctionError';
  const inputParts = split(input);
  return {
    invocationId: r.chainInvocationId, namespace: chain.namespace, functionName: chain.name, functionId: chain.id,
    version: chain.version, input: inputParts.ref ? undefined : inputParts.value, inputRef: inputParts.ref,
    errors: [{
      attempt: 1, startedAt, endedAt: endedAt.toISOString(), durationMs: endedAt.getTime() - new Date(startedAt).getTime(),
      failure: { kind, message: `step '${r.failedStep}': ${r.error?.message ?? 'failed'}` },
    }],
    firstAttemptAt: new Date(startedAt), failedAt: endedAt,
  };
}
