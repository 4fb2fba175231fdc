// Two tenants on one real stack: namespace team-a owns a secret, a function (with a secret env value),
// a chain, an invocation, a chain invocation, a dead letter, a deployment and a (paused) schedule; team-b holds an
// admin key of its own, the strongest key that must still reach nothing of team-a.
import { TRPCClientError } from '@trpc/client';
import type { CaissonClient } from '../../../src/client/index.js';
import type { TestStack } from '../../support/stack.js';
import { deployDir } from '../../support/deploy.js';

export interface TenantA {
  client: CaissonClient;
  keyId: string;
  function: string;
  artifactSha256: string;
  invocationId: string;
  chainInvocationId: string;
  deadLetterId: string;
  deploymentId: string;
  /** A secret of team-a (the function's latest version uses it). */
  secret: string;
}

export const trpcCode = (err: unknown) => (err instanceof TRPCClientError ? (err.data as { code?: string }).code : undefined);

/** The outcome of a call: its value, or the tRPC code it failed with. */
export async function outcome<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string | undefined; message: string }> {
  try {
    return { ok: true, value: await call };
  } catch (err) {
    return { ok: false, code: trpcCode(err), message: (err as Error).message };
  }
}

export async function setUpTenantA(stack: TestStack): Promise<TenantA> {
  const { client, id: keyId } = await stack.clientWithKey({ namespace: 'team-a', role: 'admin' });
  const namespace = 'team-a';
  await client.secrets.create.mutate({ namespace, name: 'a-secret', value: 'team-a only' });
  const fn = await deployDir(client, { dir: 'test/fixtures/functions/py-failures', name: 'secret-fn', runtime: 'python', namespace, env: { SECRET: 'team-a only' } });
  const ok = await client.invocations.invoke.mutate({ namespace, function: 'secret-fn', payload: { hello: 'a' } });
  const failed = await client.invocations.invoke.mutate({ namespace, function: 'secret-fn', payload: { mode: 'flaky', succeedOn: 99 } });
  if (ok.status !== 'SUCCEEDED' || failed.status !== 'FAILED') throw new Error(`setup: ${ok.status} / ${failed.status}`);
  const deadLetters = await client.deadLetters.list.query({ namespace });
  await client.chains.create.mutate({ namespace, definition: { name: 'a-chain', steps: [{ name: 'only', function: 'secret-fn' }] } });
  const chain = await client.chains.invoke.mutate({ namespace, name: 'a-chain', input: { via: 'chain' } });
  const { deploymentId } = await client.functions.deploy.mutate({ namespace, name: 'secret-fn', code: Buffer.from('print("{}")').toString('base64'), fileName: 'main.py', secrets: [{ name: 'a-secret', env: 'A_SECRET' }] });
  await client.functions.deployment.query({ id: deploymentId, waitMs: 60_000 });
  await client.schedules.create.mutate({ namespace, name: 'a-sched', target: { kind: 'function', name: 'secret-fn' }, payload: { via: 'schedule' }, cron: '@yearly', paused: true });
  return {
    client, keyId, function: 'secret-fn', artifactSha256: fn.artifact.sha256, invocationId: ok.id,
    chainInvocationId: chain.id, deadLetterId: deadLetters.items[0]!.id, deploymentId, secret: 'a-secret',
  };
}

/** Everything of team-a an admin of every namespace can read: must be equal before and after an attack. */
export async function snapshotOfA(admin: CaissonClient, a: TenantA) {
  const namespace = 'team-a';
  return {
    functions: await admin.functions.list.query({ namespace }),
    function: await admin.functions.get.query({ namespace, name: a.function }),
    versions: await admin.functions.versions.query({ namespace, name: a.function }),
    invocations: await admin.invocations.list.query({ namespace }),
    chains: await admin.chains.list.query({ namespace }),
    chainVersions: await admin.chains.versions.query({ namespace, name: 'a-chain' }),
    chainInvocations: await admin.chains.invocations.query({ namespace }),
    deadLetters: await admin.deadLetters.list.query({ namespace }),
    keys: await admin.keys.list.query(),
    secrets: await admin.secrets.list.query({ namespace }),
    schedule: await admin.schedules.get.query({ namespace, name: 'a-sched' }),
  };
}
