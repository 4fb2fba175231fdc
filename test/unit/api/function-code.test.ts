import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCode, resolveEntry } from '../../../src/api/services/function-code.js';
import { LimitExceededError, ValidationError } from '../../../src/shared/errors.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('decodeCode', () => {
  it('takes one file with a default name per runtime', () => {
    const { artifact } = decodeCode({ code: b64('print(1)'), runtime: 'python', maxBytes: 100 });
    expect(artifact).toMatchObject({ format: 'file', fileName: 'main.py', sizeBytes: 8 });
    expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('recognises a tar.gz by its magic bytes', () => {
    const { artifact } = decodeCode({ code: b64(gzipSync('anything')), runtime: 'node', maxBytes: 1000 });
    expect(artifact.format).toBe('tgz');
    expect(artifact.fileName).toBeUndefined();
  });

  it('rejects code over the limit, naming the limit', () => {
    expect(() => decodeCode({ code: b64('x'.repeat(101)), runtime: 'go', maxBytes: 100 })).toThrow(LimitExceededError);
    expect(() => decodeCode({ code: b64('x'.repeat(101)), runtime: 'go', maxBytes: 100 })).toThrow(/code is 101 bytes, over the limit of 100/);
  });

  it('rejects empty code', () => {
    expect(() => decodeCode({ code: '', runtime: 'go', maxBytes: 100 })).toThrow(ValidationError);
  });
});

describe('resolveEntry', () => {
  const file = { sha256: 'a'.repeat(64), format: 'file' as const, fileName: 'app.py', sizeBytes: 1 };
  const tgz = { sha256: 'a'.repeat(64), format: 'tgz' as const, sizeBytes: 1 };
  it.each([
    { runtime: 'python', convention: 'script', artifact: file, expected: 'app.py' },
    { runtime: 'python', convention: 'script', artifact: tgz, expected: 'main.py' },
    { runtime: 'node', convention: 'script', artifact: tgz, expected: 'index.js' },
    { runtime: 'python', convention: 'handler', artifact: tgz, expected: 'main.handler' },
    { runtime: 'node', convention: 'handler', artifact: tgz, expected: 'index.handler' },
    { runtime: 'go', convention: 'script', artifact: tgz, expected: 'handler' },
    { runtime: 'python', convention: 'lambda', artifact: tgz, expected: 'lambda_function.lambda_handler' },
    { runtime: 'python', convention: 'lambda', artifact: file, expected: 'app.lambda_handler' },
    { runtime: 'python', convention: 'openwhisk', artifact: tgz, expected: '__main__.main' },
    { runtime: 'python', convention: 'openfaas', artifact: tgz, expected: 'handler.handle' },
    { runtime: 'node', convention: 'lambda', artifact: tgz, expected: 'index.handler' },
    { runtime: 'node', convention: 'openwhisk', artifact: tgz, expected: 'index.main' },
    { runtime: 'node', convention: 'openfaas', artifact: tgz, expected: 'handler' },
    { runtime: 'go', convention: 'lambda', artifact: tgz, expected: 'auto' },
    { runtime: 'go', convention: 'openwhisk', artifact: tgz, expected: 'Main' },
    { runtime: 'go', convention: 'openfaas', artifact: tgz, expected: 'Handle' },
  ] as const)('$runtime/$convention → $expected', ({ runtime, convention, artifact, expected }) => {
    expect(resolveEntry({ runtime, convention, artifact })).toBe(expected);
  });

  it('keeps an explicit entry', () => {
    expect(resolveEntry({ runtime: 'python', convention: 'handler', entry: 'app.main', artifact: tgz })).toBe('app.main');
  });
});
