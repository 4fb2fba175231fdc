// Dead letters: invocations whose attempts ran out. Replay starts a new invocation of the
// same (or the latest) version with the same input. The replay's invocation id derives from
// the dead letter, so replaying the same dead letter twice at once yields one replay.
// A chain's dead letter is replayed by resuming that chain invocation from its failed step.
import type { Repositories } from '../../db/index.js';
import { NotFoundError } from '../../shared/errors.js';
import type { ChainService } from './chain.service.js';
import type { InvocationService } from './invocation.service.js';

export function createDeadLetterService(deps: { db: Repositories; invocations: InvocationService; chains: Pick<ChainService, 'resume'> }) {
  const { db, invocations, chains } = deps;

  async function get(id: string) {
    const dl = await db.deadLetters.get(id);
    if (!dl) throw new NotFoundError('dead letter', id);
    return dl;
  }

  async function replay(input: { id: string; latest: boolean }): Promise<{ invocationId: string; deadLetterId: string }> {
    const dl = await get(input.id);
    if (dl.replayedAs) return { invocationId: dl.replayedAs, deadLetterId: dl.id };
    // A chain's (its functionName is the chain's name, which a function may share): resumed,
    // finished steps kept; --latest runs every function at its latest version from there on.
    if (await db.chains.invocations.get(dl.invocationId)) {
      await chains.resume({ id: dl.invocationId, latest: input.latest });
      await db.deadLetters.markReplayed(dl.id, dl.invocationId);
      return { invocationId: dl.invocationId, deadLetterId: dl.id };
    }
    const payload = dl.inputRef ? await db.blobs.getJson(dl.inputRef) : dl.input;
    const { invocationId } = await invocations.start({
      namespace: dl.namespace,
      function: dl.functionName,
      version: input.latest ? 'latest' : dl.version,
      payload,
      idempotencyKey: `replay:${dl.id}:${input.latest ? 'latest' : dl.version}`,
      replayOf: dl.invocationId,
    });
    const won = await db.deadLetters.markReplayed(dl.id, invocationId);
    if (!won) {
      // Another replay (e.g. --latest against the same version) claimed it first: report that one.
      const again = await get(dl.id);
      return { invocationId: again.replayedAs ?? invocationId, deadLetterId: dl.id };
    }
    return { invocationId, deadLetterId: dl.id };
  }

  async function remove(id: string): Promise<{ deleted: true; id: string }> {
    if (!(await db.deadLetters.delete(id))) throw new NotFoundError('dead letter', id);
    return { deleted: true, id };
  }

  return { get, replay, remove, list: db.deadLetters.list };
}

export type DeadLetterService = ReturnType<typeof createDeadLetterService>;
