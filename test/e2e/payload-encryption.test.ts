// Temporal payloads are encrypted: a marker in a payload, a result and a function's env is in
// no form in the workflow's history; the api's codec endpoint gives it back to an admin key of
// every namespace only; a worker holding another master key fails its workflow tasks (retried)
// with a message naming the cause, and a worker with the right key then finishes the run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

const run = promisify(execFile);
const cli = findTemporalCli(join(process.cwd(), '.caisson'));
const PAYLOAD_MARKER = `PAYLOAD-MARKER-${randomBytes(6).toString('hex')}`;
const ENV_MARKER = `ENV-MARKER-${randomBytes(6).toString('hex')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Every way a marker could show in the CLI's JSON: as it is, or inside base64 at any of 3 alignments. */
function leaks(text: string, marker: string): boolean {
  if (text.includes(marker)) return true;
  // After a 1- or 2-byte prefix, the characters from the 5th on depend on the marker's bytes only.
  return [0, 1, 2].some((shift) => text.includes(b64(`${'x'.repeat(shift)}${marker}`).slice(shift === 0 ? 0 : 4, -4)));
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ name: 'codec' });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-chain', name: 'enc', runtime: 'python', env: { TEST_ENV_MARKER: ENV_MARKER } });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-chain', name: 'enc-cold', runtime: 'python', fresh: true, env: { TEST_ENV_MARKER: ENV_MARKER } });
});
afterAll(async () => {
  await stack?.stop();
});

async function show(id: string, codecArgs: string[] = []): Promise<string> {
  const { stdout } = await run(cli, ['workflow', 'show', '--workflow-id', id, '--address', inject('temporalAddress'), '--output', 'json', ...codecArgs]);
  return stdout;
}

async function codecCall(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.api.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { payloads?: { metadata: Record<string, string>; data: string }[]; error?: string } };
}

describe('payload encryption', () => {
  it.each(['enc', 'enc-cold'])('%s: payload, result and env are ciphertext in the history; the CLI with the codec endpoint reads them', async (fn) => {
    const v = await stack.client.invocations.invoke.mutate({ function: fn, payload: { op: 'echo', m: PAYLOAD_MARKER } });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ echo: { op: 'echo', m: PAYLOAD_MARKER } });
    const raw = await show(v.id);
    expect(raw).toContain(b64('binary/encrypted'));
    expect(leaks(raw, PAYLOAD_MARKER)).toBe(false);
    expect(leaks(raw, ENV_MARKER)).toBe(false);
    expect(leaks(raw, 'TEST_ENV_MARKER')).toBe(false);

    const decoded = await show(v.id, ['--codec-endpoint', `${stack.api.url}/codec`, '--codec-auth', `Bearer ${stack.adminKey}`]);
    expect(leaks(decoded, PAYLOAD_MARKER)).toBe(true);
    expect(leaks(decoded, ENV_MARKER)).toBe(true);
  });

  it("a handler's error message is sealed too (failure attributes encoded); the api still reads it", async () => {
    await deployDir(stack.client, { dir: 'test/fixtures/functions/py-raise-handler', name: 'enc-raise', runtime: 'python', convention: 'handler', entry: 'main.handler' });
    const v = await stack.client.invocations.invoke.mutate({ function: 'enc-raise', payload: { m: PAYLOAD_MARKER } });
    expect(v.status).toBe('FAILED');
    expect(v.error?.message).toContain(PAYLOAD_MARKER);
    const raw = await show(v.id);
    expect(raw).toContain('Encoded failure');
    expect(leaks(raw, PAYLOAD_MARKER)).toBe(false);
  });

  it('large payloads still travel by reference', async () => {
    const s = `${PAYLOAD_MARKER}${'x'.repeat(300 * 1024)}`;
    const v = await stack.client.invocations.invoke.mutate({ function: 'enc', payload: { op: 'len', s } });
    expect(v.result).toEqual({ len: s.length });
  });

  it('search attributes hold the function, version, namespace, outcome and start only; the memo is encrypted', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'enc', payload: { op: 'echo', m: PAYLOAD_MARKER } });
    const description = await stack.api.temporal.workflow.getHandle(v.id).describe();
    const fields = description.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    // BuildIds and TemporalChangeVersion are the server's and the SDK's own (build ids, patch ids).
    expect(Object.keys(fields).filter((k) => k !== 'BuildIds' && k !== 'TemporalChangeVersion').sort())
      .toEqual(['CaissonFunction', 'CaissonNamespace', 'CaissonOutcome', 'CaissonStart', 'CaissonVersion']);
    expect(Object.values(fields).some((p) => leaks(Buffer.from(p.data ?? []).toString(), PAYLOAD_MARKER))).toBe(false);
    // The memo (whether the attempt was cold, its container id) goes through the codec like any payload.
    const memo = description.raw.workflowExecutionInfo?.memo?.fields ?? {};
    expect(Object.keys(memo).sort()).toEqual(['cold', 'containerId']);
    expect(Object.values(memo).every((p) => Buffer.from(p.metadata!.encoding!).toString() === 'binary/encrypted')).toBe(true);
  });

  it('the codec endpoint decodes for an admin of every namespace only, and answers CORS for the UI origin only', async () => {
    const v = await stack.client.invocations.invoke.mutate({ function: 'enc', payload: { op: 'echo', m: PAYLOAD_MARKER } });
    const history = await stack.api.temporal.workflow.getHandle(v.id).fetchHistory(); // as stored: not decoded
    const stored = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const body = { payloads: stored.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, val]) => [k, Buffer.from(val).toString('base64')])),
      data: Buffer.from(p.data!).toString('base64'),
    })) };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).not.toContain(PAYLOAD_MARKER);

    const ok = await codecCall('/codec/decode', body, { authorization: `Bearer ${stack.adminKey}` });
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.body.payloads![0]!.data, 'base64').toString()).toContain(PAYLOAD_MARKER);
    expect(Buffer.from(ok.body.payloads![0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');

    expect((await codecCall('/codec/decode', body)).status).toBe(401);
    expect((await codecCall('/codec/decode', body, { authorization: 'Bearer csk_nope' })).status).toBe(401);
    const other = await stack.clientWithKey({ namespace: 'shop', role: 'admin' });
    expect((await codecCall('/codec/decode', body, { authorization: `Bearer ${other.key}` })).status).toBe(403);
    const reader = await stack.clientWithKey({ namespace: '*', role: 'reader' });
    expect((await codecCall('/codec/decode', body, { authorization: `Bearer ${reader.key}` })).status).toBe(403);

    // encode, then decode: the round trip the Web UI makes for what a user types.
    const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"a":1}') }] };
    const enc = await codecCall('/codec/encode', plain, { authorization: `Bearer ${stack.adminKey}` });
    expect(Buffer.from(enc.body.payloads![0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const back = await codecCall('/codec/decode', enc.body, { authorization: `Bearer ${stack.adminKey}` });
    expect(back.body).toEqual(plain);
    expect((await codecCall('/codec/decode', {}, { authorization: `Bearer ${stack.adminKey}` })).body).toEqual({ payloads: [] });
    expect((await codecCall('/codec/decode', { payloads: 'no' }, { authorization: `Bearer ${stack.adminKey}` })).status).toBe(400);

    const uiOrigin = stack.config.api.codecOrigins[0]!;
    const preflight = await fetch(`${stack.api.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const foreign = await fetch(`${stack.api.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await codecCall('/codec/decode', body, { origin: uiOrigin });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(uiOrigin); // so the UI can read why
  });
});

describe('a worker with another master key', () => {
  let other: TestStack;
  let wrong: WorkerProcess | undefined;
  beforeAll(async () => {
    other = await startTestStack({ name: 'codec-key' });
    await deployDir(other.client, { dir: 'test/fixtures/functions/py-chain', name: 'enc', runtime: 'python' }); // a deploy is a workflow too
    await other.worker!.stop();
    other.worker = undefined;
  });
  afterAll(async () => {
    await wrong?.kill();
    await other?.stop();
  });

  it('fails its workflow tasks with a clear message; the run finishes once a worker with the right key takes it', async () => {
    wrong = await spawnWorkerProcess(other, { CAISSON_SECRETS_KEY: randomBytes(32).toString('base64') });
    const { id } = await other.client.invocations.start.mutate({ function: 'enc', payload: { op: 'echo', m: PAYLOAD_MARKER } });
    await waitFor('the key message', async () => wrong!.output().includes('same CAISSON_SECRETS_KEY'), 30_000);
    expect((await other.client.invocations.get.query({ id })).status).not.toMatch(/SUCCEEDED|FAILED/);
    await wrong.kill();
    await other.startWorker();
    const v = await other.client.invocations.wait.query({ id, waitMs: 60_000 });
    expect(v.status).toBe('SUCCEEDED');
    expect(v.result).toEqual({ echo: { op: 'echo', m: PAYLOAD_MARKER } });
  });
});
