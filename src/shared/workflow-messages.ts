// Every update, signal and query of Caisson's workflows, defined once: the workflows set their
// handlers with these definitions and the api sends them by the same ones, so the name and
// the types cannot drift apart. Plain definitions (no zod): part of the workflow bundle.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChainSettled } from './chain.js';
import type { DeployProgress } from './deploy.js';
import type { ChildSucceeded, InvocationOutcomeRecord, StepInput } from './invocation.js';

/**
 * The update a synchronous caller starts invokeFunction with (update-with-start): it completes
 * with the invocation's outcome as soon as that is known, before the container's removal, so
 * the caller does not wait for it. Whoever sends it takes over writing the record of a
 * success (the workflow then skips its record activity and returns the record in its result,
 * from which any reader repairs a row the caller failed to write); failures and cancellations
 * are always recorded by the workflow, dead letter included, before the update answers.
 */
export const outcomeUpdate = defineUpdate<InvocationOutcomeRecord>('outcome');

/** invokeFunction's outcome (or null) while the workflow finishes. */
export const outcomeQuery = defineQuery<InvocationOutcomeRecord | null>('outcome');

/**
 * Sent by an invokeFunction child to its parent (a chain) as soon as it succeeded, before its
 * container's removal and its record: the chain moves on to its next step without waiting for
 * them (it still awaits every child before it completes).
 */
export const childSucceededSignal = defineSignal<[ChildSucceeded]>('childSucceeded');

/**
 * A chain step started ahead of its turn gets its input by this signal: from the step before it
 * as soon as that one succeeded, and from the chain as well (the first one counts; both carry
 * the same input, built by the same mapping).
 */
export const stepInputSignal = defineSignal<[StepInput]>('stepInput');

/** The update a synchronous caller starts runChain with (update-with-start); see run-chain.workflow.ts. */
export const chainOutcomeUpdate = defineUpdate<ChainSettled>('chainOutcome');

/** deployFunction's steps so far. */
export const deployProgressQuery = defineQuery<DeployProgress>('deployProgress');
