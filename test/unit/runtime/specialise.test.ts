// Which versions may claim a generic warm container, and the generic pool's configuration.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';
import { specialiseRefusal, specialiseRequest } from '../../../src/runtime/warm/specialise.js';
import { RetryPolicySchema, type FunctionVersionSpec } from '../../../src/shared/types.js';

const spec = (over: Partial<FunctionVersionSpec> & { network?: boolean } = {}): FunctionVersionSpec => ({
  functionId: 'fn_1', namespace: 'default', name: 'f', version: 1, runtime: 'python', convention: 'script', entry: 'main.py',
  artifact: { sha256: 'a'.repeat(64), format: 'tgz', sizeBytes: 1 },
  limits: { timeoutMs: 1000, memoryMb: 256, cpus: 0.5, network: over.network ?? false }, env: {},
  retryPolicy: RetryPolicySchema.parse({}), ...over,
});

describe('specialiseRefusal', () => {
  it.each([
    { why: 'network', s: spec({ network: true }), refused: /network/ },
    { why: 'secrets', s: spec({ secrets: [{ name: 'token' }] as FunctionVersionSpec['secrets'] }), refused: /secrets/ },
    { why: 'PYTHONPATH', s: spec({ env: { PYTHONPATH: '/x' } }), refused: /PYTHONPATH/ },
    { why: 'NODE_OPTIONS', s: spec({ env: { NODE_OPTIONS: '--max-old-space-size=64' } }), refused: /NODE_OPTIONS/ },
    { why: 'LANG', s: spec({ env: { LANG: 'C.UTF-8' } }), refused: /LANG/ },
    { why: 'TZ', s: spec({ env: { TZ: 'UTC' } }), refused: /TZ/ },
    { why: 'LD_PRELOAD', s: spec({ env: { LD_PRELOAD: '/x.so' } }), refused: /LD_PRELOAD/ },
  ])('refuses a version with $why', ({ s, refused }) => {
    expect(specialiseRefusal(s)).toMatch(refused);
    expect(specialiseRequest({ spec: s, image: 'i', entrypoint: ['e'], codeDir: '/c', env: {} })).toBeUndefined();
  });

  it('accepts ordinary environment variables and carries the limits to update at claim', () => {
    const s = spec({ env: { GREETING: 'hi', LANGUAGE_MODEL: 'x', MY_TZ: 'y' } });
    expect(specialiseRefusal(s)).toBeUndefined();
    expect(specialiseRequest({ spec: s, image: 'i', entrypoint: ['e'], codeDir: '/c', env: { GREETING: 'hi' } }))
      .toEqual({ image: 'i', entrypoint: ['e'], codeDir: '/c', env: { GREETING: 'hi' }, memoryMb: 256, cpus: 0.5 });
  });
});

describe('generic pool configuration', () => {
  it('keeps one per used image by default, none with 0, and names a bad runtime', () => {
    expect(loadConfig({}).worker.warm).toMatchObject({ genericPerImage: 1, genericRuntimes: [] });
    expect(loadConfig({ CAISSON_WARM_GENERIC: '0', CAISSON_WARM_GENERIC_RUNTIMES: 'python, node' }).worker.warm)
      .toMatchObject({ genericPerImage: 0, genericRuntimes: ['python', 'node'] });
    expect(() => loadConfig({ CAISSON_WARM_GENERIC_RUNTIMES: 'python,cobol' })).toThrow(/cobol.*CAISSON_WARM_GENERIC_RUNTIMES/s);
    expect(() => loadConfig({ CAISSON_WARM_GENERIC: '-1' })).toThrow(/CAISSON_WARM_GENERIC/);
  });
});
