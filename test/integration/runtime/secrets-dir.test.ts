// A container's secrets dir on the host: its own tmpfs, 0444 files in a 0755 root, nothing left
// mounted once removed, and orphans (no container of that name) swept at a worker's start.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretsDir, removeOrphanSecretsDirs, removeSecretsDir, secretMounts } from '../../../src/runtime/io/secrets-dir.js';

const root = join(mkdtempSync(join(tmpdir(), 'caisson-secrets-it-')), 'secrets');
const mountedUnder = () => readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${root}/`));
afterAll(async () => {
  await removeOrphanSecretsDirs(root, new Set());
  await rm(join(root, '..'), { recursive: true, force: true });
});

describe('secrets dir', () => {
  it('is a tmpfs of its own holding one read-only file per secret, gone once removed', async () => {
    const values = new Map([['api-key', Buffer.from('v1')], ['tls.crt', Buffer.from([0, 1, 2])]]);
    const dir = await createSecretsDir({ root, name: 'caisson-inv-a-1', values });
    expect(mountedUnder()).toEqual([dir]);
    expect(readdirSync(dir).sort()).toEqual(['api-key', 'tls.crt']);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'api-key')).mode & 0o777).toBe(0o444);
    expect(readFileSync(join(dir, 'tls.crt'))).toEqual(Buffer.from([0, 1, 2]));
    expect(secretMounts('/host/x').map((m) => [m.containerPath, m.readOnly])).toEqual([['/var/openfaas/secrets', true], ['/run/secrets', true]]);
    await removeSecretsDir(root, 'caisson-inv-a-1');
    expect(mountedUnder()).toEqual([]);
    await removeSecretsDir(root, 'caisson-inv-a-1'); // again: nothing there is success
  });

  it('refuses a name that would leave the dir, leaving nothing mounted', async () => {
    await expect(createSecretsDir({ root, name: 'caisson-inv-b-1', values: new Map([['../escape', Buffer.from('x')]]) })).rejects.toThrow(/invalid secret name/);
    expect(mountedUnder()).toEqual([]);
  });

  it('sweeps the dirs of containers that do not exist, keeping the others', async () => {
    await createSecretsDir({ root, name: 'kept', values: new Map([['a', Buffer.from('x')]]) });
    await createSecretsDir({ root, name: 'orphan', values: new Map([['a', Buffer.from('x')]]) });
    expect(await removeOrphanSecretsDirs(root, new Set(['kept']))).toEqual(['orphan']);
    expect(mountedUnder()).toEqual([join(root, 'kept')]);
  });
});
