// A worker that starts on a data dir where an earlier worker was SIGKILLed removes the io mounts
// that worker left and no container names (the mount and its dir), and touches nothing else:
// not a mount whose attempt's container still runs, not a live process's mount whose container
// is still being created, not a link, not a mount outside its io root.
// The leftover is made as a killed worker makes it: a real process mounts the io dir with the
// worker's own code (createIoDir) and is SIGKILLed.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIoDir, removeIoDir } from '../../../src/runtime/io/io-dir.js';
import { ownMountSource, readMountTable } from '../../../src/runtime/io/mount-table.js';
import { imageFor } from '../../../src/runtime/docker/images.js';
import { waitFor } from '../../support/containers.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

const docker = new Dockerode();
const run = Date.now().toString(36);
const name = (what: string) => `caisson-inv-mounts-${run}-${what}-1`;
let stack: TestStack;
let ioRoot: string;
const outside = join(mkdtempSync(join(tmpdir(), 'caisson-mounts-outside-')), 'mnt');
const containerIds: string[] = [];

const mountOf = (dir: string) => readMountTable().filter((m) => m.mountPoint === dir);

/** What a worker SIGKILLed mid-attempt leaves: a process mounts root/name with createIoDir, then dies. */
function leaveMountOfKilledProcess(root: string, dirName: string): number {
  const script = `
    const { createIoDir } = await import(${JSON.stringify(new URL('../../../src/runtime/io/io-dir.ts', import.meta.url).pathname)});
    const dir = await createIoDir(${JSON.stringify(root)}, ${JSON.stringify(dirName)}, '{"n":1}', { sizeBytes: 1 << 20, envFile: true });
    (await import('node:fs')).writeFileSync(dir + '/result.json', '{"a":1}'); // as if the function had run
    process.stdout.write(String(process.pid));
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.signal, child.stderr).toBe('SIGKILL');
  return Number(child.stdout);
}

beforeAll(async () => {
  stack = await startTestStack({ name: 'mounts', withWorker: false });
  ioRoot = join(stack.config.worker.dataDir, 'io');
});
afterAll(async () => {
  for (const id of containerIds) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  for (const what of ['dead', 'running', 'inflight', 'later']) await removeIoDir(join(ioRoot, name(what))).catch(() => undefined);
  await removeIoDir(outside).catch(() => undefined);
  await stack?.stop();
});

it('a worker starting where one was SIGKILLed removes the io mounts it left, and nothing else', async () => {
  // The killed worker's attempt whose container never came (or was already removed).
  const deadPid = leaveMountOfKilledProcess(ioRoot, name('dead'));
  const dead = join(ioRoot, name('dead'));
  expect(mountOf(dead).map((m) => m.source)).toEqual([expect.stringMatching(new RegExp(`^caisson-io\\.${deadPid}\\.\\d+$`))]);
  // Killed between making a dir and mounting it.
  mkdirSync(join(ioRoot, name('empty')));
  // A killed worker's attempt whose container still runs (another worker's, not yet reaped): in use.
  leaveMountOfKilledProcess(ioRoot, name('running'));
  const running = join(ioRoot, name('running'));
  const container = await docker.createContainer({
    name: name('running'), Image: imageFor('python'), Entrypoint: ['sleep', '600'],
    Labels: { 'caisson.managed': 'true', 'caisson.worker': `other-${run}`, 'caisson.deadline': String(Date.now() + 3_600_000) },
    HostConfig: { Binds: [`${running}:/caisson/io:rw`], NetworkMode: 'none' },
  });
  containerIds.push(container.id);
  await container.start();
  // A live process's mount whose container is still being created (this test process owns it).
  const inflight = await createIoDir(ioRoot, name('inflight'), '{}', { sizeBytes: 1 << 20 });
  expect(mountOf(inflight).map((m) => m.source)).toEqual([ownMountSource()]);
  // A dead owner's mount outside the io root, and a link to it inside: neither followed nor touched.
  leaveMountOfKilledProcess(join(outside, '..'), 'mnt');
  symlinkSync(outside, join(ioRoot, name('link')));
  writeFileSync(join(outside, 'keep'), 'x');

  await stack.startWorker();

  expect(mountOf(dead)).toEqual([]);
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(join(ioRoot, name('empty')))).toBe(false);
  expect(mountOf(running)).toHaveLength(1);
  expect(existsSync(join(running, 'result.json'))).toBe(true);
  expect((await container.inspect()).State.Running).toBe(true);
  expect(mountOf(inflight)).toHaveLength(1);
  expect(existsSync(join(inflight, 'payload.json'))).toBe(true);
  expect(mountOf(outside)).toHaveLength(1);
  expect(existsSync(join(outside, 'keep'))).toBe(true);
  expect(lstatSync(join(ioRoot, name('link'))).isSymbolicLink()).toBe(true);
  await rm(join(ioRoot, name('link')));
});

it('a running worker removes them too, at its next reap (every 30 s)', async () => {
  const later = join(ioRoot, name('later'));
  leaveMountOfKilledProcess(ioRoot, name('later'));
  expect(mountOf(later)).toHaveLength(1);
  await waitFor('the next reap to remove the mount', async () => mountOf(later).length === 0 && !existsSync(later), 60_000, 500);
  expect(mountOf(join(ioRoot, name('inflight')))).toHaveLength(1);
});
