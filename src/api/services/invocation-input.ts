// An invocation's PENDING row as its run's input describes it: written by the api when it
// accepts an invocation, before it starts the run.
import { createHash } from 'node:crypto';
import type { CreateInvocationInput } from '../../db/index.js';
import type { InvocationCaller } from '../../shared/caller.js';
import type { InvokeFunctionInput } from '../../shared/invocation.js';
import { isInline } from '../../shared/payload-ref.js';

/**
 * The row for this run input. `payloadText` (the payload's JSON) gives the input hash that
 * idempotency keys compare; without it only an inline payload is hashed (a large one is a
 * blob, and a run found without its row never had a key: keyed requests write theirs first).
 */
export function rowInputOf(
  input: InvokeFunctionInput,
  request: { payloadText?: string; idempotencyKey?: string; replayOf?: string; caller?: InvocationCaller } = {},
): CreateInvocationInput {
  const { spec, payload } = input;
  const inline = isInline(payload);
  const payloadText = request.payloadText ?? (inline ? JSON.stringify(payload.inline ?? null) : undefined);
  return {
    id: input.invocationId,
    namespace: spec.namespace,
    functionName: spec.name,
    functionId: spec.functionId,
    version: spec.version,
    idempotencyKey: request.idempotencyKey ?? null,
    // sha256 of `<name>@<version>`, a NUL and the payload's JSON text.
    inputHash: payloadText === undefined ? null
      : createHash('sha256').update(`${spec.name}@${spec.version}\u0000${payloadText}`).digest('hex'),
    input: inline ? (payload.inline ?? null) : null,
    inputRef: inline ? null : payload.ref,
    replayOf: request.replayOf ?? null,
    ...(request.caller ? { caller: request.caller } : {}),
    createdAt: new Date(input.acceptedAt),
  };
}
