// One timed synchronous invoke of a hello-style function through the api, checked: used by the
// warm section in the bench's process and by the caller in its own (bench/lib/caller.ts).
import type { CaissonClient } from '../../src/client/index.js';

/** ms of the invoke; throws unless it SUCCEEDED (and ran cold or warm as expectCold says). */
export async function timedInvoke(client: CaissonClient, name: string, expectCold?: boolean): Promise<number> {
  const t0 = performance.now();
  let v = await client.invocations.invoke.mutate({ function: name, payload: { name: 'bench' } });
  // Seen under load: invoke answered before the workflow closed (PENDING); wait for it.
  if (v.status === 'PENDING' || v.status === 'RUNNING') v = await client.invocations.wait.query({ id: v.id, waitMs: 60_000 });
  const ms = performance.now() - t0;
  if (v.status !== 'SUCCEEDED') throw new Error(`invoke ${v.id} ended ${v.status}: ${JSON.stringify(v.error)}`);
  if (expectCold !== undefined && v.cold !== expectCold) throw new Error(`expected cold=${expectCold}, got ${v.cold}`);
  return ms;
}
