// invocations.* through createCaller with an inner context (no http server, no database, no
// Temporal): what the router and its gates do with a request before and after the service.
import { TRPCError, getTRPCErrorShape } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../../../src/api/routers/_app.js';
import { createCallerFactory } from '../../../src/api/trpc.js';
import type { RequestContext } from '../../../src/api/context.js';
import type { KeyPrincipal } from '../../../src/api/auth/authenticator.js';
import type { AuditEvent } from '../../../src/api/audit.js';
import { NotFoundError } from '../../../src/shared/errors.js';
import type { Role } from '../../../src/shared/roles.js';

const createCaller = createCallerFactory(appRouter);

/** Invocations that exist, by id, with their namespace. */
const OWNED: Record<string, string> = { inv_a000000001: 'team-a', inv_b000000001: 'team-b' };

function harness(key: { role: Role; namespace: string }) {
  const calls: Array<{ name: string; args: unknown[] }> = [];
  const audit: AuditEvent[] = [];
  const view = (id: string) => ({ id, status: 'SUCCEEDED', result: { ok: true } });
  const invocations = {
    async invoke(...args: unknown[]) { calls.push({ name: 'invoke', args }); return view('inv_new0000001'); },
    async start(...args: unknown[]) { calls.push({ name: 'start', args }); return { invocationId: 'inv_new0000001', deduplicated: false }; },
    async get(id: string) {
      calls.push({ name: 'get', args: [id] });
      if (!(id in OWNED)) throw new NotFoundError('invocation', id);
      return view(id);
    },
    async cancel(id: string) { calls.push({ name: 'cancel', args: [id] }); return view(id); },
  };
  const principal: KeyPrincipal = { kind: 'key', id: 'key_1', name: 'test key', expiresAt: null, ...key };
  // Only what invocations.* reaches; a procedure touching anything else fails the test loudly.
  const ctx = {
    principal,
    invocations,
    owners: async (_kind: string, id: string) => OWNED[id] ?? null,
    audit: { record: (e: AuditEvent) => void audit.push(e), flush: async () => {}, stop: async () => {} },
  } as unknown as RequestContext;
  return { caller: createCaller(ctx), calls, audit };
}

/** The message an http caller reads: the error through the api's errorFormatter (trpc.ts). */
function answeredMessage(error: TRPCError): string {
  const shape = getTRPCErrorShape({ config: appRouter._def._config, error, type: 'mutation', path: undefined, input: undefined, ctx: undefined });
  return shape.message;
}

/** The TRPCError a call rejects with. */
async function refusal(call: Promise<unknown>): Promise<TRPCError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TRPCError);
  return err as TRPCError;
}

describe('invocations router through createCaller', () => {
  it('invoke: passes the parsed input, defaults applied, and waitMs to the service', async () => {
    const { caller, calls, audit } = harness({ role: 'invoker', namespace: 'team-a' });
    const answer = await caller.invocations.invoke({ namespace: 'team-a', function: 'hello', payload: { n: 1 } });
    expect(answer).toMatchObject({ id: 'inv_new0000001', status: 'SUCCEEDED' });
    expect(calls).toEqual([{ name: 'invoke', args: [expect.objectContaining({ namespace: 'team-a', function: 'hello', version: 'latest', payload: { n: 1 }, waitMs: 60_000 }), 60_000] }]);
    expect(audit).toEqual([expect.objectContaining({ action: expect.any(String), namespace: 'team-a', outcome: 'ok' })]);
  });

  it.each([
    ['function', { namespace: 'team-a', function: 'Bad Name' }],
    ['waitMs', { namespace: 'team-a', function: 'hello', waitMs: -1 }],
    ['namespace', { namespace: '9lives', function: 'hello' }],
    ['version', { namespace: 'team-a', function: 'hello', version: 0 }],
  ])('invoke: a bad %s is BAD_REQUEST naming the field, and the service is not called', async (field, input) => {
    const { caller, calls } = harness({ role: 'admin', namespace: '*' });
    const err = await refusal(caller.invocations.invoke(input as never));
    expect(err.code).toBe('BAD_REQUEST');
    expect(answeredMessage(err)).toMatch(new RegExp(`^${field}: `));
    expect(calls).toEqual([]);
  });

  it("a reader's key may not invoke: FORBIDDEN naming the role, recorded in the audit trail", async () => {
    const { caller, calls, audit } = harness({ role: 'reader', namespace: 'team-a' });
    const err = await refusal(caller.invocations.invoke({ namespace: 'team-a', function: 'hello' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toContain("role 'reader'");
    expect(calls).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'FORBIDDEN' })]);
  });

  it("a key of one namespace may not invoke in another: FORBIDDEN, the service not called", async () => {
    const { caller, calls } = harness({ role: 'admin', namespace: 'team-a' });
    const err = await refusal(caller.invocations.start({ namespace: 'team-b', function: 'hello' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(calls).toEqual([]);
  });

  it('start answers the id as `id`', async () => {
    const { caller } = harness({ role: 'developer', namespace: 'team-a' });
    expect(await caller.invocations.start({ namespace: 'team-a', function: 'hello' })).toEqual({ id: 'inv_new0000001', deduplicated: false });
  });

  it('get: an id of another namespace is NOT_FOUND, as a missing one, before the service is asked', async () => {
    const { caller, calls } = harness({ role: 'reader', namespace: 'team-a' });
    const other = await refusal(caller.invocations.get({ id: 'inv_b000000001' }));
    const missing = await refusal(caller.invocations.get({ id: 'inv_gone000001' }));
    expect([other.code, missing.code]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(calls).toEqual([]);
    expect(await caller.invocations.get({ id: 'inv_a000000001' })).toMatchObject({ id: 'inv_a000000001' });
  });

  it("get: the service's NotFoundError is mapped to NOT_FOUND (a key of every namespace asks the service directly)", async () => {
    const { caller, calls } = harness({ role: 'admin', namespace: '*' });
    const err = await refusal(caller.invocations.get({ id: 'inv_gone000001' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(calls).toEqual([{ name: 'get', args: ['inv_gone000001'] }]);
  });

  it('get: a malformed id is BAD_REQUEST naming `id`', async () => {
    const { caller } = harness({ role: 'admin', namespace: '*' });
    const err = await refusal(caller.invocations.get({ id: '../etc/passwd' }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(answeredMessage(err)).toMatch(/^id: /);
  });

  it('cancel: needs invoke; another namespace is NOT_FOUND', async () => {
    const reader = harness({ role: 'reader', namespace: 'team-a' });
    expect((await refusal(reader.caller.invocations.cancel({ id: 'inv_a000000001' }))).code).toBe('FORBIDDEN');
    const invoker = harness({ role: 'invoker', namespace: 'team-a' });
    expect((await refusal(invoker.caller.invocations.cancel({ id: 'inv_b000000001' }))).code).toBe('NOT_FOUND');
    expect(await invoker.caller.invocations.cancel({ id: 'inv_a000000001' })).toMatchObject({ id: 'inv_a000000001' });
    expect(invoker.calls).toEqual([{ name: 'cancel', args: ['inv_a000000001'] }]);
  });
});
