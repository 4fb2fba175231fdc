// deliverCallback under MockActivityEnvironment: the deliverer's answer passes through, and its
// errors cross into Temporal typed (a refused URL is not retried; a target that is away is).
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createCallbackActivities, type CallbackRequest } from '../../../src/activities/callback.activities.js';
import { RuntimeUnavailableError, ValidationError } from '../../../src/shared/errors.js';
import { mockEnv } from './fakes.js';

const request: CallbackRequest = { invocationId: 'inv_callback0001', url: 'http://127.0.0.1:9/done' };

describe('deliverCallback', () => {
  it("answers the target's status and passes the request on as it is", async () => {
    const seen: CallbackRequest[] = [];
    const acts = createCallbackActivities({ deliver: async (r) => { seen.push(r); return { status: 204 }; } });
    expect(await mockEnv().run(acts.deliverCallback, request)).toEqual({ status: 204 });
    expect(seen).toEqual([request]);
  });

  it.each([
    ['a refused URL or a 4xx', new ValidationError('callback answered 404', 'url'), 'VALIDATION', true],
    ['a 5xx or a network failure', new RuntimeUnavailableError('callback target answered 503'), 'RUNTIME_UNAVAILABLE', false],
  ])('%s crosses as an ApplicationFailure of its code, retried or not', async (_what, thrown, type, nonRetryable) => {
    const acts = createCallbackActivities({ deliver: async () => { throw thrown; } });
    const err = await mockEnv().run(acts.deliverCallback, request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type, nonRetryable, message: thrown.message });
  });
});
