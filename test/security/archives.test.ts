// Hostile archives deployed through the public api (the api and the worker run in this test
// process, as `caisson dev` runs them): gzip bombs, 100,000 files, names with control
// characters, traversal, links and devices are refused at deploy with BAD_REQUEST; nothing is
// created, the process grows by far less than what the bombs expand to, and the worker's code
// cache holds nothing of them. A build whose install script writes hostile names or too many
// files fails the deploy. A deleted function's warm pool and code leave the worker by reconcile.
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { manyFilesTgz, manyZeroFilesBomb, oneFileBomb, tgzOf } from '../support/archives.js';

const MiB = 1024 * 1024;
let stack: TestStack;

beforeAll(async () => {
  // A short grace: a deleted function's code may go at the next reconcile after a second.
  stack = await startTestStack({ name: 'archives', env: { CAISSON_CODE_CACHE_GRACE_MS: '1000' } });
});

afterAll(async () => {
  await stack?.stop();
});

const codeDir = () => join(stack.config.worker.dataDir, 'code');

async function treeBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) if (e.isFile()) total += (await lstat(join(e.parentPath, e.name))).size;
  return total;
}

/** Runs fn while sampling this process's RSS every 5 ms; resolves with fn's outcome and the peak growth. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ outcome: T | unknown; growth: number; ms: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const outcome = await fn().catch((err: unknown) => err);
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { outcome, growth: peak - base, ms };
}

const text = (s: string) => Buffer.from(s);
// Built once, before any measurement: what the test itself allocates is not the api's growth.
const HOSTILE: Array<[string, () => Buffer, RegExp]> = [
  ['a gzip bomb: one file of 2 GiB zeros (2 MB upload)', () => oneFileBomb(2048 * MiB), /expands to more than 268435456 bytes/],
  ['a gzip bomb: 400 files of 1 MiB zeros (0.4 MB upload)', () => manyZeroFilesBomb(400), /expands to more than 268435456 bytes/],
  ['100,000 empty files', () => manyFilesTgz(100_000), /more than 10000 entries/],
  ['a newline in a name', () => tgzOf([{ path: 'main.py', body: text('print(1)\n') }, { path: 'x\nERROR fake log line', body: text('1') }]), /"x\\nERROR fake log line" is a name with control/],
  ['an escape sequence in a name', () => tgzOf([{ path: '\u001b]0;owned\u0007\u001b[2J.py', body: text('1') }]), /control or unprintable/],
  ['a traversal', () => tgzOf([{ path: '../../../../tmp/caisson-owned', body: text('1') }]), /\.\. component/],
  ['an absolute path', () => tgzOf([{ path: '/etc/cron.d/owned', body: text('1') }]), /absolute name/],
  ['a symlink out', () => tgzOf([{ path: 'main.py', type: 'SymbolicLink', linkpath: '/etc/shadow' }]), /SymbolicLink entry/],
  ['a hard link', () => tgzOf([{ path: 'main.py', type: 'Link', linkpath: '/etc/shadow' }]), /Link entry/],
  ['a device', () => tgzOf([{ path: 'mem', type: 'CharacterDevice' }]), /CharacterDevice entry/],
];

describe('hostile archives at deploy', () => {
  const uploads = HOSTILE.map(([name, make, why]) => ({ name, code: make().toString('base64'), why }));

  it.each(uploads.map((u, i) => [u.name, i] as const))('refuses %s: BAD_REQUEST naming code, nothing created, bounded memory', async (_name, i) => {
    const { code, why } = uploads[i]!;
    const before = await stack.client.functions.list.query({});
    const cacheBefore = await treeBytes(codeDir());
    const { outcome, growth, ms } = await peakRssGrowth(() =>
      stack.client.functions.create.mutate({ name: `hostile-${i}`, runtime: 'python', code }));
    expect(outcome).toBeInstanceOf(TRPCClientError);
    const err = outcome as Error & { data?: { code?: string } };
    expect(err.data?.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/^code is refused as an archive: /);
    expect(err.message).toMatch(why);
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\u0000-\u001f]/); // names are quoted escaped
    expect(await stack.client.functions.list.query({})).toEqual(before);
    expect(await stack.client.functions.get.query({ name: `hostile-${i}` })).toBeNull();
    expect(growth).toBeLessThan(100 * MiB);
    expect(await treeBytes(codeDir())).toBe(cacheBefore);
    console.log(`[archives] ${uploads[i]!.name}: ${(code.length * 0.75 / 1e6).toFixed(2)} MB upload, refused in ${ms.toFixed(0)} ms, rss peak +${(growth / MiB).toFixed(1)} MiB`);
  });
});

describe('hostile build outputs', () => {
  // npm runs the package's own install scripts in the build container: hostile code writes /out.
  const withPostinstall = (script: string) => tgzOf([
    { path: 'index.js', body: text('exports.handler = async () => 1;\n') },
    { path: 'package.json', body: text(JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { ms: '2.1.3' }, scripts: { postinstall: `node -e ${JSON.stringify(script)}` } })) },
  ]).toString('base64');

  it.each([
    ['a name with a newline', "require('fs').writeFileSync('evil\\nline.js', '1')", /"evil\\nline.js" is a name with control/],
    ['more files than the limit', "const fs = require('fs'); fs.mkdirSync('many'); for (let i = 0; i < 10001; i++) fs.writeFileSync('many/' + i, '')", /holds \d+ files, over the limit of 10000/],
  ])('refuses an output with %s: the deploy fails, nothing is created', async (_name, script, why) => {
    const before = await stack.client.functions.list.query({});
    const err = await stack.client.functions.create.mutate({ name: 'hostile-build', runtime: 'node', convention: 'lambda', code: withPostinstall(script) })
      .catch((e: unknown) => e as Error & { data?: { code?: string } });
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as { data?: { code?: string } }).data?.code).toBe('BAD_REQUEST');
    expect((err as Error).message).toMatch(/the build output is refused/);
    expect((err as Error).message).toMatch(why);
    expect(await stack.client.functions.list.query({})).toEqual(before);
  });
});

describe('code cache eviction', () => {
  it('drops a deleted function\'s warm pool at the next reconcile, and its code at the one after', async () => {
    await deployDir(stack.client, { name: 'evicted', runtime: 'python', dir: 'test/fixtures/functions/py-hello-handler', convention: 'handler' });
    await deployDir(stack.client, { name: 'kept', runtime: 'python', dir: 'test/fixtures/functions/py-hello-script' });
    const invoked = await stack.client.invocations.invoke.mutate({ function: 'evicted', payload: { name: 'Ada' } });
    expect(invoked.status).toBe('SUCCEEDED');
    const [evicted] = await stack.client.functions.versions.query({ name: 'evicted' });
    const [kept] = await stack.client.functions.versions.query({ name: 'kept' });
    const shaOf = (v: typeof evicted) => v!.artifact.sha256;
    expect(await readdir(codeDir())).toEqual(expect.arrayContaining([shaOf(evicted), shaOf(kept)]));
    const poolKey = Object.keys(stack.worker!.pool?.stats() ?? {}).find((k) => k.includes('/evicted@'));
    expect(poolKey).toBeDefined();
    const docker = stack.worker!.runtime;
    expect((await docker.listManaged({ 'caisson.warm-key': poolKey! })).length).toBeGreaterThan(0);

    await stack.client.functions.delete.mutate({ name: 'evicted' });
    await new Promise((r) => setTimeout(r, 1100)); // past the grace since its last use
    const report = await stack.worker!.reconcileCodeCache();
    expect(report.goneKeys).toContain(poolKey);
    // Its pool held the code as that reconcile began; retired now, the next one removes it.
    await stack.worker!.reconcileCodeCache();
    const left = await readdir(codeDir());
    expect(left).not.toContain(shaOf(evicted));
    expect(left).toContain(shaOf(kept));
    expect(Object.keys(stack.worker!.pool?.stats() ?? {})).not.toContain(poolKey);
    // Its idle warm container is removed, not left serving a deleted version.
    const deadline = Date.now() + 15_000;
    while ((await docker.listManaged({ 'caisson.warm-key': poolKey! })).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await docker.listManaged({ 'caisson.warm-key': poolKey! })).toEqual([]);
  });

  it('lets an invocation running on a deleted version finish, then removes its container and code', async () => {
    await deployDir(stack.client, { name: 'busy', runtime: 'python', dir: 'test/fixtures/functions/py-slow' });
    expect((await stack.client.invocations.invoke.mutate({ function: 'busy', payload: { sleep: 0 } })).status).toBe('SUCCEEDED');
    const [version] = await stack.client.functions.versions.query({ name: 'busy' });
    const sha = version!.artifact.sha256;
    const stats = () => Object.entries(stack.worker!.pool?.stats() ?? {}).find(([k]) => k.includes('/busy@'));
    const poolKey = stats()![0];
    const running = stack.client.invocations.invoke.mutate({ function: 'busy', payload: { sleep: 4 } });
    while (stats()?.[1].busy !== 1) await new Promise((r) => setTimeout(r, 50));

    await stack.client.functions.delete.mutate({ name: 'busy' });
    await new Promise((r) => setTimeout(r, 1100)); // past the grace
    expect((await stack.worker!.reconcileCodeCache()).goneKeys).toContain(poolKey);
    expect(await readdir(codeDir())).toContain(sha); // its pool held it as the reconcile began
    expect((await running).result).toMatchObject({ slept: 4 });
    const docker = stack.worker!.runtime;
    const deadline = Date.now() + 15_000;
    while ((await docker.listManaged({ 'caisson.warm-key': poolKey })).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await docker.listManaged({ 'caisson.warm-key': poolKey })).toEqual([]); // gone on release
    await new Promise((r) => setTimeout(r, 1100));
    await stack.worker!.reconcileCodeCache();
    expect(await readdir(codeDir())).not.toContain(sha);
  });
});
