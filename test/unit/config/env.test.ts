import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

describe('loadConfig', () => {
  it('has safe defaults', () => {
    const c = loadConfig({});
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 3000, url: 'http://127.0.0.1:3000' });
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'caisson' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.limits.payloadBytes).toBe(6 * 1024 * 1024);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads overrides and rejects bad values naming the variable', () => {
    expect(loadConfig({ CAISSON_API_PORT: '4000' }).api.url).toBe('http://127.0.0.1:4000');
    expect(() => loadConfig({ CAISSON_API_PORT: 'abc' })).toThrow(/CAISSON_API_PORT/);
    expect(() => loadConfig({ CAISSON_TASK_QUEUE: "q' OR 'a" })).toThrow(/CAISSON_TASK_QUEUE/);
    expect(loadConfig({ CAISSON_TASK_QUEUE: 'caisson-e2e_1.x' }).temporal.taskQueue).toBe('caisson-e2e_1.x');
  });

  it('has archive and code cache limits, overridable', () => {
    expect(loadConfig({}).limits.codeArchive).toEqual({ maxExpandedBytes: 256 * 1024 * 1024, maxEntries: 10_000 });
    expect(loadConfig({}).worker.codeCache).toEqual({ maxBytes: 4096 * 1024 * 1024, reconcileMs: 30_000, graceMs: 1_200_000 });
    const c = loadConfig({ CAISSON_MAX_CODE_EXPANDED_BYTES: '1024', CAISSON_MAX_CODE_FILES: '5', CAISSON_CODE_CACHE_MAX_BYTES: '0' });
    expect(c.limits.codeArchive).toEqual({ maxExpandedBytes: 1024, maxEntries: 5 });
    expect(c.worker.codeCache.maxBytes).toBe(0);
    expect(() => loadConfig({ CAISSON_MAX_CODE_FILES: '-1' })).toThrow(/CAISSON_MAX_CODE_FILES/);
  });

  it('bounds what a function may ask for by this host unless told', () => {
    const c = loadConfig({});
    expect(c.limits.functionCpus).toBe(availableParallelism());
    expect(c.limits.functionMemoryMb).toBe(Math.floor(totalmem() / 1024 / 1024 / 2));
    const set = loadConfig({ CAISSON_MAX_FUNCTION_CPUS: '0.5', CAISSON_MAX_FUNCTION_MEMORY_MB: '256' });
    expect(set.limits).toMatchObject({ functionCpus: 0.5, functionMemoryMb: 256 });
    expect(() => loadConfig({ CAISSON_MAX_FUNCTION_CPUS: '0' })).toThrow(/CAISSON_MAX_FUNCTION_CPUS/);
  });

  it('reads the auth settings: key files under CAISSON_HOME, the allowed hosts as a list', () => {
    const c = loadConfig({ CAISSON_HOME: '/data', CAISSON_API_ALLOWED_HOSTS: 'api.example.com, api:3000,' });
    expect(c.auth).toMatchObject({
      apiKey: undefined, workerToken: undefined, workerTokenFile: '/data/worker.token', adminKeyFile: '/data/admin.key',
      credentialsFile: '/data/credentials', allowedHosts: ['api.example.com', 'api:3000'], cacheMs: 1000,
    });
    expect(loadConfig({}).auth.allowedHosts).toBeUndefined();
    expect(() => loadConfig({ CAISSON_WORKER_TOKEN: 'short' })).toThrow(/CAISSON_WORKER_TOKEN/);
  });

  it('maps the worker data dir to the host path when the worker runs in a container', () => {
    const c = loadConfig({ CAISSON_HOME: '/data', CAISSON_HOST_DATA_DIR: '/srv/caisson/worker' });
    expect(c.worker.dataDir).toBe('/data/worker');
    expect(c.worker.hostDataDir).toBe('/srv/caisson/worker');
  });
});
