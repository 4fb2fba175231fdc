// docker-compose.yml, brought up as a user would (images built offline by scripts/compose/images.sh,
// passwords in an env file, Compose v2 or Debian's docker-compose): deploy, invoke, async, a chain,
// and the worker container killed mid-invocation, through the only published port; then torn down.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { waitFor } from '../support/containers.js';
import { deployDir } from '../support/deploy.js';
import { freePort } from '../support/ports.js';

const run = promisify(execFile);
const tag = randomBytes(3).toString('hex');
const project = `caisson-compose-${tag}`;
const dir = join(process.cwd(), '.caisson', 'compose', `test-${tag}`);
const workerId = `compose-${tag}`;
let compose: string[] = [];
let client: ReturnType<typeof createClient>;
let port = 0;

async function dc(...args: string[]): Promise<string> {
  const [cmd, ...pre] = compose;
  const { stdout } = await run(cmd!, [...pre, '-p', project, '--env-file', join(dir, 'compose.env'), ...args],
    { maxBuffer: 32 * 1024 * 1024, timeout: 600_000 });
  return stdout;
}

beforeAll(async () => {
  await run('bash', ['scripts/compose/images.sh'], { maxBuffer: 64 * 1024 * 1024, timeout: 1_800_000 });
  compose = (await run('bash', ['scripts/compose/compose-cli.sh'])).stdout.trim().split(' ');
  port = await freePort();
  await mkdir(join(dir, 'worker'), { recursive: true });
  // The worker's data dir must be a shared mount (docker-compose.yml, rshared): on systemd hosts `/`
  // is; here the dir is made its own shared bind mount.
  await run('mount', ['--bind', join(dir, 'worker'), join(dir, 'worker')]);
  await run('mount', ['--make-rshared', join(dir, 'worker')]);
  await writeFile(join(dir, 'compose.env'), [
    `TEMPORAL_DB_PASSWORD=${randomBytes(12).toString('hex')}`, `CAISSON_DB_PASSWORD=${randomBytes(12).toString('hex')}`,
    `CAISSON_API_PORT=${port}`, `CAISSON_WORKER_DATA_DIR=${join(dir, 'worker')}`, `CAISSON_WORKER_ID=${workerId}`, '',
  ].join('\n'), { mode: 0o600 });
  await dc('up', '-d');
  // Healthy with a worker polling: 200 from /healthz, through the published port.
  await waitFor('the compose api with a worker', async () =>
    (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200, 300_000, 1000);
  const adminKey = (await dc('exec', '-T', 'api', 'cat', '/var/lib/caisson/admin.key')).trim();
  client = createClient(`http://127.0.0.1:${port}`, { apiKey: adminKey });
}, 1_800_000);

afterAll(async () => {
  if (compose.length) await dc('down', '-v', '--remove-orphans').catch(() => undefined);
  const docker = createDockerRuntime({});
  for (const c of await docker.listManaged({ 'caisson.worker': workerId })) await docker.remove(c.name);
  await run('umount', ['--lazy', join(dir, 'worker')]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}, 300_000);

describe('docker-compose.yml', () => {
  it('publishes only the api, on 127.0.0.1, and every service with a healthcheck is healthy', async () => {
    const ps = await run('docker', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}\t{{.Ports}}\t{{.Status}}']);
    const rows = ps.stdout.trim().split('\n').map((l) => l.split('\t'));
    const published = rows.filter(([, ports]) => ports?.includes('->'));
    expect(published.map(([name, ports]) => [name?.replace(`${project}_`, '').replace(/[-_]\d+$/, ''), ports])).toEqual([['api', `127.0.0.1:${port}->3000/tcp`]]);
    for (const name of ['temporal', 'temporal-db', 'caisson-db', 'api', 'temporal-ui']) {
      expect(rows.find(([n]) => n?.includes(`_${name}_`))?.[2], name).toContain('(healthy)');
    }
  });

  it('deploys, invokes, starts async, runs a chain, and loses nothing when the worker is killed mid-invocation', async () => {
    await deployDir(client, { dir: 'examples/hello-python', name: 'hello', runtime: 'python' });
    const sync = await client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Ada' } });
    expect(sync.status).toBe('SUCCEEDED');
    expect(JSON.stringify(sync.result)).toContain('Ada');
    const started = await client.invocations.start.mutate({ function: 'hello', payload: { name: 'Bo' } });
    expect((await client.invocations.wait.query({ id: started.id, waitMs: 120_000 })).status).toBe('SUCCEEDED');

    await deployDir(client, { dir: 'test/fixtures/functions/py-chain', name: 'ch', runtime: 'python' });
    await client.chains.create.mutate({ definition: { name: 'twice', steps: [
      { name: 'a', function: 'ch', input: { op: 'add', value: '$.input.value', by: 1 } },
      { name: 'b', function: 'ch', input: { op: 'double', value: '$.steps.a.output.value' } },
    ] } });
    const chain = await client.chains.invoke.mutate({ name: 'twice', input: { value: 4 } });
    expect([chain.status, chain.result]).toEqual(['SUCCEEDED', { value: 10 }]);

    await deployDir(client, { dir: 'test/fixtures/functions/py-slow', name: 'slow', runtime: 'python', fresh: true, timeoutMs: 60_000 });
    const slow = await client.invocations.start.mutate({ function: 'slow', payload: { sleep: 4 }, idempotencyKey: `slow-${tag}` });
    const docker = createDockerRuntime({});
    await waitFor('its container', async () => (await docker.listManaged({ 'caisson.invocation': slow.id })).some((c) => c.state === 'running'), 120_000, 200);
    await dc('kill', 'worker');
    await dc('start', 'worker');
    const done = await client.invocations.wait.query({ id: slow.id, waitMs: 240_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect((done.result as { slept?: number }).slept).toBe(4);
    // The restarted worker (same id) reaps the killed attempt's container.
    await waitFor('no container of the invocation left', async () => (await docker.listManaged({ 'caisson.invocation': slow.id })).length === 0, 120_000, 1000);
  });
});
