// Delivers an /async-function invocation's outcome to its X-Callback-Url (the deliverCallback
// activity's api side): the same answer the synchronous path would give, POSTed with X-Call-Id
// and X-Function-Status. The target is hostile too: checked against the allowlist again, one
// attempt bounded in time, redirects not followed, its answer's body never read.
import type { CallbackDeliverer, CallbackDelivery, CallbackRequest } from '../../activities/callback.activities.js';
import type { Repositories } from '../../db/index.js';
import { RuntimeUnavailableError, ValidationError } from '../../shared/errors.js';
import type { InvocationService } from '../services/invocation.service.js';
import { checkCallbackUrl, type CallbackAllowList } from './callback-allow.js';
import { outcomeAnswer } from './outcome.js';

export interface CallbackDelivererDeps {
  invocations: Pick<InvocationService, 'get'>;
  db: Pick<Repositories, 'functions'>;
  allow: CallbackAllowList;
  /** One POST's bound (the activity's retries and deadline are the workflow's). */
  timeoutMs?: number;
}

export function createCallbackDeliverer(deps: CallbackDelivererDeps): CallbackDeliverer {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return {
    async deliver({ invocationId, url }: CallbackRequest): Promise<CallbackDelivery> {
      const verdict = checkCallbackUrl(url, deps.allow);
      if (!verdict.ok) throw new ValidationError(`callback not delivered: ${verdict.message}`, 'X-Callback-Url');
      const view = await deps.invocations.get(invocationId);
      const spec = await deps.db.functions.getVersionSpec(view.namespace, view.function, view.version);
      const answer = outcomeAnswer(spec.convention, view);
      const headers = new Headers();
      for (const [name, value] of answer.headers) headers.append(name, value);
      headers.set('x-call-id', invocationId);
      headers.set('x-function-status', String(answer.status));
      let res: Response;
      try {
        res = await fetch(verdict.url, { method: 'POST', headers, body: answer.body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        throw new RuntimeUnavailableError(`callback to ${verdict.url.host} failed: ${(err as Error).message}`);
      }
      await res.body?.cancel().catch(() => undefined); // never read: the target's answer is its status
      if (res.status >= 200 && res.status < 300) return { status: res.status };
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      const message = `callback to ${verdict.url.host} answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`;
      throw retryable ? new RuntimeUnavailableError(message) : new ValidationError(message, 'X-Callback-Url');
    },
  };
}
