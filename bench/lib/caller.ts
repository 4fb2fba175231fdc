// A caller in its own process, as users' programs are: it times synchronous invokes through
// the tRPC api and the Temporal floor, one call at a time on request, so the bench can still
// interleave them. In the bench's own process the caller would share the api's event loop: its
// request and response handling would queue behind the api's and the worker's work (and theirs
// behind it), a cost no real caller pays. Both sides of each ratio are timed here, the same way.
//   const caller = await startCaller(apiKey); await caller.invoke(url, name); caller.stop();
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

type Request =
  | { op: 'invoke'; url: string; apiKey?: string; function: string; expectCold?: boolean }
  | { op: 'floor'; address: string; namespace: string; taskQueue: string }
  | { op: 'http'; url: string; apiKey?: string; function: string };
type Reply = { id: number; ms: number } | { id: number; error: string };

export interface Caller {
  /** ms of one synchronous invoke (a failure, or cold when expectCold says otherwise, throws). */
  invoke(url: string, fn: string, expectCold?: boolean): Promise<number>;
  /** ms of one no-op floor workflow, started and awaited through a Temporal client. */
  floor(address: string, taskQueue: string, namespace?: string): Promise<number>;
  /** ms of one POST to the function's URL (/function/<name>) answered 200 with the hello greeting. */
  http(url: string, fn: string): Promise<number>;
  stop(): void;
}

/** apiKey: the key the caller's client sends (a bench stack's `apiKey`). */
export async function startCaller(apiKey?: string): Promise<Caller> {
  // execArgv is inherited: under tsx the child loads this TypeScript file the same way.
  const child: ChildProcess = fork(import.meta.filename, ['--caller'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve(ms: number): void; reject(err: Error): void }>();
  let next = 0;
  child.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if ('error' in m) w?.reject(new Error(m.error));
    else w?.resolve(m.ms);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the caller process exited (${code})`));
    waiting.clear();
  });
  const call = (req: Request) => new Promise<number>((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    child.send({ id, ...req });
  });
  return {
    invoke: (url, fn, expectCold) => call({ op: 'invoke', url, apiKey, function: fn, ...(expectCold === undefined ? {} : { expectCold }) }),
    floor: (address, taskQueue, namespace = 'default') => call({ op: 'floor', address, namespace, taskQueue }),
    http: (url, fn) => call({ op: 'http', url, apiKey, function: fn }),
    stop: () => void child.kill(),
  };
}

/** One POST through the function's URL, as a webhook sender makes it (keep-alive, as fetch does). */
async function timedHttpInvoke(req: { url: string; apiKey?: string; function: string }): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${req.url}/function/${req.function}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}) },
    body: '{"name":"bench"}',
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || !text.includes('Hello, bench!')) throw new Error(`POST /function/${req.function} answered ${res.status}: ${text.slice(0, 200)}`);
  return ms;
}

async function serve(): Promise<void> {
  const { createClient } = await import('../../src/client/index.js');
  const { timedInvoke } = await import('./timed-invoke.js');
  const { Client, Connection } = await import('@temporalio/client');
  const clients = new Map<string, ReturnType<typeof createClient>>();
  const temporal = new Map<string, InstanceType<typeof Client>>();
  const temporalFor = async (address: string, namespace: string) => {
    const key = `${address}/${namespace}`;
    let c = temporal.get(key);
    if (!c) temporal.set(key, (c = new Client({ connection: await Connection.connect({ address }), namespace })));
    return c;
  };
  const handle = async (req: Request): Promise<number> => {
    if (req.op === 'floor') {
      const client = await temporalFor(req.address, req.namespace);
      const t0 = performance.now();
      await client.workflow.execute('floorWorkflow', { taskQueue: req.taskQueue, workflowId: `floor-${randomBytes(6).toString('hex')}` });
      return performance.now() - t0;
    }
    if (req.op === 'http') return timedHttpInvoke(req);
    let client = clients.get(req.url);
    if (!client) clients.set(req.url, (client = createClient(req.url, { apiKey: req.apiKey })));
    return timedInvoke(client, req.function, req.expectCold);
  };
  process.on('message', (m: Request & { id: number }) => {
    handle(m).then(
      (ms) => process.send!({ id: m.id, ms } satisfies Reply),
      (err: unknown) => process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--caller') && process.send) await serve();
