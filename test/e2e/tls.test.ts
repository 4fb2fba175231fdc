// CAISSON_TLS_CERT / CAISSON_TLS_KEY: the api serves HTTPS only. With a self-signed certificate
// made here, the typed client (its `ca` option), the CLI and a worker process (both with
// NODE_EXTRA_CA_CERTS) work against the https url; without trusting it, they are refused.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type CaissonClient } from '../../src/client/index.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

let stack: TestStack;
let worker: WorkerProcess | undefined;
let certFile: string;
let client: CaissonClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(process.cwd(), '.caisson', 'tls-'));
  certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=caisson test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  stack = await startTestStack({ name: 'tls', withWorker: false, env: { CAISSON_TLS_CERT: certFile, CAISSON_TLS_KEY: keyFile } });
  client = createClient(stack.api.url, { apiKey: stack.adminKey, ca: await readFile(certFile) });
});
afterAll(async () => {
  await worker?.kill('SIGTERM'); // stops in order: its containers (the version's network holder) go with it
  await stack?.stop();
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; text: string }> {
  const child = spawn(process.execPath, ['bin/caisson.js', '--api', stack.api.url, '--json', ...args], {
    env: { ...process.env, CAISSON_HOME: stack.config.home, CAISSON_API_KEY: stack.adminKey, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, text })));
}

it('serves https only; the client, the CLI and a worker reach it when they trust the certificate', async () => {
  expect(stack.api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect((await client.auth.whoami.query()).role).toBe('admin');

  // A worker process fetches code and blobs from the api over https.
  worker = await spawnWorkerProcess(stack, { NODE_EXTRA_CA_CERTS: certFile });
  await deployDir(client, { dir: 'test/fixtures/functions/py-chain', name: 'tls-echo', runtime: 'python' });
  const v = await client.invocations.invoke.mutate({ function: 'tls-echo', payload: { op: 'echo', over: 'https' } });
  expect(v.status).toBe('SUCCEEDED');
  expect(v.result).toEqual({ echo: { op: 'echo', over: 'https' } });

  const trusted = await cli(['fn', 'ls'], { NODE_EXTRA_CA_CERTS: certFile });
  expect(trusted.code, trusted.text).toBe(0);
  expect(trusted.text).toContain('tls-echo');
  const untrusted = await cli(['fn', 'ls'], {});
  expect(untrusted.code).not.toBe(0);
  expect(untrusted.text).toMatch(/self[- ]signed certificate/);

  await expect(createClient(stack.api.url, { apiKey: stack.adminKey }).auth.whoami.query()).rejects.toThrow(/self[- ]signed certificate/);
  // Plain HTTP on the same port gets no answer.
  await expect(fetch(stack.api.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
});

it('a browser login over https answers a Secure session cookie, which works from the api\'s https origin', async () => {
  const ca = await readFile(certFile);
  const send = (path: string, args: { method: string; body?: string; headers?: Record<string, string> }) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = httpsRequest(`${stack.api.url}${path}`, { method: args.method, ca, headers: { 'content-type': 'application/json', ...args.headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(args.body);
    });
  const origin = stack.api.url;
  const login = await send('/auth/session', { method: 'POST', body: JSON.stringify({ key: stack.adminKey }), headers: { origin } });
  expect(login.status).toBe(200);
  const setCookie = String(login.headers['set-cookie']);
  expect(setCookie).toMatch(/; Secure/);
  const cookie = setCookie.split(';')[0]!;
  const input = JSON.stringify({ namespace: 'default', name: 'tls-secret', value: 'x' });
  expect((await send('/trpc/secrets.create', { method: 'POST', body: input, headers: { cookie, origin: origin.replace('https:', 'http:') } })).status).toBe(403);
  expect((await send('/trpc/secrets.create', { method: 'POST', body: input, headers: { cookie, origin } })).status).toBe(200);
});
