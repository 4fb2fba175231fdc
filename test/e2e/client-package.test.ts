// @caisson/client as another project gets it: the package is built and packed (npm pack), the
// tarball installed into a new project (test/fixtures/client-consumer) and nothing else; then
// plain `node` calls it as ESM and as CommonJS against a real api (deploy, invoke, a typed
// NOT_FOUND), and `tsc --strict` with default options (and with exactOptionalPropertyTypes,
// and NodeNext resolution) accepts a right call and refuses a wrong field, naming it.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const run = promisify(execFile);
const repo = process.cwd();
const tsc = resolve(repo, 'node_modules/.bin/tsc');
let stack: TestStack;
let project: string;

beforeAll(async () => {
  // Outside the repository, as another project is: tsc would otherwise find its node_modules/@types.
  project = mkdtempSync(join(tmpdir(), 'caisson-client-consumer-'));
  cpSync(join(repo, 'test/fixtures/client-consumer'), project, { recursive: true });
  // npm pack runs the package's prepack (its build) and writes the tarball into the project.
  const packed = await run('npm', ['pack', '--pack-destination', project, '--json'], { cwd: join(repo, 'packages/client') });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${filename}`], { cwd: project });
  stack = await startTestStack({ name: 'client-pkg' });
});

afterAll(async () => {
  if (project) rmSync(project, { recursive: true, force: true });
  await stack?.stop();
  const left = await createDockerRuntime({}).listManaged({ 'caisson.worker': stack.workerId });
  expect(left.map((c) => c.name)).toEqual([]);
});

/** Every package under the project's node_modules (scoped ones as @scope/name). */
function installedPackages(): string[] {
  const dir = join(project, 'node_modules');
  return readdirSync(dir).filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : [n]));
}

async function compile(files: string[], flags: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [tsc, '--strict', '--noEmit', ...flags, ...files], { cwd: project });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, output: e.stdout };
  }
}

describe('the packed client in a new project', () => {
  it('installs as one package that needs nothing else', () => {
    expect(installedPackages()).toEqual(['@caisson/client']);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@caisson/client/package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
  });

  it.each(['call.mjs', 'call.cjs'])('plain node runs %s: deploy, invoke, and a NOT_FOUND with its code', async (script) => {
    const { stdout } = await run(process.execPath, [script], {
      cwd: project, env: { ...process.env, CAISSON_API_URL: stack.api.url, CAISSON_API_KEY: stack.adminKey },
    });
    const flavour = script.endsWith('.mjs') ? 'esm' : 'cjs';
    expect(JSON.parse(stdout)).toMatchObject({
      version: 1, status: 'SUCCEEDED', result: { hello: flavour },
      error: { code: 'NOT_FOUND', httpStatus: 404, message: expect.stringContaining('inv_0000000000doesnotexist') },
    });
  });

  it.each([
    { options: 'default options', flags: [] },
    { options: 'exactOptionalPropertyTypes', flags: ['--exactOptionalPropertyTypes'] },
    { options: 'NodeNext resolution', flags: ['--module', 'nodenext', '--moduleResolution', 'nodenext'] },
  ])('tsc --strict with $options accepts the right call and refuses the wrong field', async ({ flags }) => {
    // One compile of both files: its only error must be the wrong field's.
    const { code, output } = await compile(['right-call.ts', 'wrong-field.ts'], flags);
    expect(code).not.toBe(0);
    expect(output.trim().split('\n')).toEqual([
      "wrong-field.ts(6,58): error TS2561: Object literal may only specify known properties, but 'nam' does not exist in type 'FunctionsCreateInput'. Did you mean to write 'name'?",
    ]);
  });
});
