import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCode, entryProblem, resolveEntry } from '../../../src/api/services/function-code.js';
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

  it('takes a folder\'s only source file when the convention\'s default module is not there', () => {
    expect(resolveEntry({ runtime: 'node', convention: 'script', artifact: tgz, files: ['app.js', 'package.json'] })).toBe('app.js');
    expect(resolveEntry({ runtime: 'python', convention: 'script', artifact: tgz, files: ['job.py', 'data/x.json'] })).toBe('job.py');
    expect(resolveEntry({ runtime: 'node', convention: 'openwhisk', artifact: tgz, files: ['hello.js'] })).toBe('hello.main');
    expect(resolveEntry({ runtime: 'python', convention: 'lambda', artifact: tgz, files: ['app.py', 'lib/util.py'] })).toBe('app.lambda_handler');
    expect(resolveEntry({ runtime: 'node', convention: 'openfaas', artifact: tgz, files: ['fn.js'] })).toBe('fn');
    expect(resolveEntry({ runtime: 'python', convention: 'handler', artifact: file })).toBe('app.handler');
  });

  it('keeps the default module when it is there, and the run scripts\' first choices for a script', () => {
    expect(resolveEntry({ runtime: 'node', convention: 'lambda', artifact: tgz, files: ['index.js', 'other.js'] })).toBe('index.handler');
    expect(resolveEntry({ runtime: 'node', convention: 'lambda', artifact: tgz, files: ['index.mjs'] })).toBe('index.handler');
    expect(resolveEntry({ runtime: 'python', convention: 'script', artifact: tgz, files: ['handler.py', 'util.py'] })).toBe('handler.py');
    expect(resolveEntry({ runtime: 'python', convention: 'lambda', artifact: tgz, files: ['a.py', 'b.py'] })).toBe('lambda_function.lambda_handler');
  });
});

describe('entryProblem', () => {
  it('accepts an entry whose module is in the code, as the wrappers look it up', () => {
    expect(entryProblem({ runtime: 'python', convention: 'lambda', entry: 'pkg.mod.handler', files: ['pkg/__init__.py', 'pkg/mod.py'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'python', convention: 'handler', entry: 'pkg.handler', files: ['pkg/__init__.py'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'python', convention: 'openwhisk', entry: '__main__.main', files: ['./__main__.py'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'node', convention: 'lambda', entry: 'src/app.handler', files: ['src/app.mjs'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'node', convention: 'openfaas', entry: 'handler', files: ['handler.js'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'node', convention: 'script', entry: 'bin/run.js', files: ['bin/run.js'] })).toBeUndefined();
    expect(entryProblem({ runtime: 'go', convention: 'lambda', entry: 'auto', files: [] })).toBeUndefined();
  });

  it('names the missing file and the files there are', () => {
    expect(entryProblem({ runtime: 'node', convention: 'script', entry: 'index.js', files: ['app.js', 'lib/a.js'] }))
      .toBe("entry 'index.js' needs the file index.js, which the code does not have; its node files: app.js, lib/a.js (set --entry)");
    expect(entryProblem({ runtime: 'python', convention: 'lambda', entry: 'lambda_function.lambda_handler', files: ['app.py'] }))
      .toMatch(/needs its module \(lambda_function\.py or lambda_function\/__init__\.py\).*its python files: app\.py \(set --entry, or leave it unset to use app\.py\)/);
    expect(entryProblem({ runtime: 'python', convention: 'script', entry: 'main.py', files: ['README.md'] })).toMatch(/its python files: none/);
  });
});

