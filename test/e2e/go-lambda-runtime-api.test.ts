// Go Lambda functions run against the Lambda Runtime API served inside their container (issue
// #18, points 12 and 6): the unmodified aws-lambda-go (options, lambdacontext, the deadline,
// WithEnableSIGTERM), custom-runtime bootstraps, panics with their trace in the log; and Go
// builds that need a newer toolchain or have no go.mod.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployFixture, invokerOf, stopLeavingNoContainers } from '../support/conventions.js';

let stack: TestStack;
let bootstrapSha256: string;
const TIMEOUT_MS = 5000;
const MEMORY_MB = 128;

beforeAll(async () => {
  stack = await startTestStack({ name: 'go-rapi' });
  // The first build warms the shared Go cache; the rest then build in parallel.
  await deployFixture(stack.client, { name: 'go-options', runtime: 'go', convention: 'lambda', dir: 'go-lambda-options', timeoutMs: TIMEOUT_MS });
  const [built] = await Promise.all([
    deployFixture(stack.client, { name: 'go-bootstrap', runtime: 'go', convention: 'lambda', dir: 'go-bootstrap' }),
    deployFixture(stack.client, { name: 'go-bootstrap-init', runtime: 'go', convention: 'lambda', dir: 'go-bootstrap', env: { FAIL_INIT: '1' } }),
    deployFixture(stack.client, { name: 'go-bootstrap-exit', runtime: 'go', convention: 'lambda', dir: 'go-bootstrap', env: { EXIT_INIT: '1' } }),
    deployFixture(stack.client, { name: 'go-pkg-ctx', runtime: 'go', convention: 'lambda', dir: 'go-lambda-pkg-ctx' }),
  ]);
  bootstrapSha256 = built.artifact.sha256;
}, 600_000);

afterAll(() => stopLeavingNoContainers(stack));

const invoke = invokerOf(() => stack);

describe('aws-lambda-go, unmodified, against the Runtime API', () => {
  it('StartWithOptions, lambdacontext, the deadline (start + timeout), Lambda\'s environment, SIGTERM at spin-down', async () => {
    const before = Date.now();
    const v = await invoke('go-options', {});
    expect(v.error).toBeUndefined();
    expect(v.result).toMatchObject({
      requestId: v.id, functionArn: 'arn:caisson:function:go-options:1', function: 'go-options', version: '1',
      memoryMb: MEMORY_MB, runtimeApi: '127.0.0.1:9001', handler: 'bootstrap', taskRoot: '/app/function',
    });
    const r = v.result as { deadlineMs: number; nowMs: number };
    // The deadline is the container's start plus the timeout: the handler runs just after the start.
    expect(r.deadlineMs - r.nowMs).toBeGreaterThan(TIMEOUT_MS - 2000);
    expect(r.deadlineMs - r.nowMs).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(r.deadlineMs).toBeGreaterThanOrEqual(before + TIMEOUT_MS);
    // WithEnableSIGTERM registered an extension, so the runtime got SIGTERM before SIGKILL.
    expect(v.logs.stdout).toContain('SIGTERM received: cleaning up');
  });

  it('a panic: Lambda\'s error object, and the trace in the log and the stderr tail', async () => {
    const v = await invoke('go-options', { mode: 'panic' });
    expect(v).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError', errorType: 'plainError' } });
    expect(v.error?.message).toMatch(/^plainError: assignment to entry in nil map/);
    expect(v.error?.platform).toMatchObject({
      errorType: 'plainError', errorMessage: 'assignment to entry in nil map',
      stackTrace: expect.arrayContaining([expect.objectContaining({ label: 'handler', path: 'lambda-options/main.go' })]),
    });
    const trace = /goroutine trace:\n[\s\S]*handler\(\.\.\.\)\n\tlambda-options\/main\.go:\d+/;
    expect(v.error?.stderrTail).toMatch(trace);
    expect(v.logs.stderr).toMatch(trace);
  });

  it('a library handler of a module requiring aws-lambda-go is wrapped with the real lambda.Start', async () => {
    const v = await invoke('go-pkg-ctx', { name: 'Ada' });
    expect(v.result).toEqual({ hello: 'Ada', requestId: v.id, hasDeadline: true });
  });
});

describe('custom runtimes: a bootstrap speaking the Runtime API with net/http', () => {
  it('gets the invocation with Lambda\'s headers and answers it', async () => {
    const v = await invoke('go-bootstrap', { name: 'Ada' });
    expect(v.error).toBeUndefined();
    expect(v.result).toMatchObject({
      greeting: 'Hello, Ada!', arn: 'arn:caisson:function:go-bootstrap:1', deadlineMs: expect.stringMatching(/^\d{13}$/),
      trace: expect.stringMatching(/^Root=1-/),
    });
    expect(v.logs.stdout).toContain('custom runtime got {"name":"Ada"}');
  });

  it('/error and /init/error are FunctionErrors named by the runtime', async () => {
    const [failed, init] = await Promise.all([invoke('go-bootstrap', { mode: 'error' }), invoke('go-bootstrap-init', {})]);
    expect(failed).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError', message: 'InputError: no name given' } });
    expect(failed.error?.platform).toEqual({ errorType: 'InputError', errorMessage: 'no name given', stackTrace: ['main.go: the custom runtime'] });
    expect(init).toMatchObject({ status: 'FAILED', error: { kind: 'FunctionError', message: 'Runtime.ConfigError: missing configuration', errorType: 'Runtime.ConfigError' } });
  });

  it('exiting before asking for the invocation is Runtime.ExitError, as Lambda reports it', async () => {
    const v = await invoke('go-bootstrap-exit', {});
    expect(v.error).toMatchObject({
      kind: 'FunctionError', message: 'Runtime.ExitError: Runtime exited with error: exit status 2',
      platform: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${v.id} Error: Runtime exited with error: exit status 2` },
    });
    expect(v.error?.stderrTail).toContain('cannot start: no configuration');
  });

  it('a folder holding only a prebuilt bootstrap runs as it is (provided.al2 style)', async () => {
    // The binary the build made for go-bootstrap, taken out of its artifact.
    const builds = join(stack.config.worker.dataDir, 'builds');
    let tgz: string | undefined;
    for (const f of (await readdir(builds)).filter((n) => n.endsWith('.tgz'))) {
      if (createHash('sha256').update(await readFile(join(builds, f))).digest('hex') === bootstrapSha256) tgz = join(builds, f);
    }
    const dir = await mkdtemp(join(tmpdir(), 'caisson-bootstrap-'));
    await extract({ file: tgz!, cwd: dir });
    expect(await readdir(dir)).toEqual(['bootstrap']);
    const packed = await packCode(dir);
    await stack.client.functions.create.mutate({
      name: 'go-prebuilt', runtime: 'go', code: packed.code, convention: 'lambda', limits: { timeoutMs: 3000 }, retryPolicy: { maxAttempts: 1 },
    });
    const v = await invoke('go-prebuilt', { name: 'Bo' });
    expect(v.result).toMatchObject({ greeting: 'Hello, Bo!', arn: 'arn:caisson:function:go-prebuilt:1' });
  });
});

// The build image's Go is 1.27 (Debian forky): a go.mod asking for 1.25 builds with it (a go
// line is a minimum), and only a newer one would download a toolchain through the module proxy
// (GOTOOLCHAIN=auto), which serves none newer here; the download was exercised with a Go 1.23 image.
describe('Go builds resolve what the build toolchain cannot', () => {
  it('a go.mod asking for go 1.25 builds with a Go at least that new', async () => {
    const started = Date.now();
    await deployFixture(stack.client, { name: 'go-toolchain', runtime: 'go', convention: 'script', dir: 'go-toolchain' });
    // Not an assertion (speed lives in bench/): the first build downloads the toolchain and compiles its std.
    console.log(`go-toolchain: deployed in ${Date.now() - started} ms`);
    const v = await invoke('go-toolchain', {});
    expect(v.result).toEqual({ go: expect.stringMatching(/^go1\.(2[5-9]|[3-9]\d)(\.|$)/) });
  }, 600_000);

  it('a main.go without go.mod gets module versions the build toolchain compiles', async () => {
    await deployFixture(stack.client, { name: 'go-nomod', runtime: 'go', convention: 'script', dir: 'go-nomod' });
    const v = await invoke('go-nomod', {});
    expect(v.result).toEqual({ title: 'Hello World', go: expect.stringMatching(/^go1\.\d+(\.|$)/) });
  }, 600_000);
});
