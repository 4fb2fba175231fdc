import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectConvention, detectRuntime } from '../../../src/cli/code-package.js';
import type { RuntimeFamily } from '../../../src/shared/types.js';

async function detect(runtime: RuntimeFamily, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'caisson-detect-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return detectConvention(dir, Object.keys(files), runtime);
}

describe('detectConvention', () => {
  it.each([
    { runtime: 'python', files: { 'lambda_function.py': 'def lambda_handler(event, context):\n  return 1\n' }, convention: 'lambda', entry: 'lambda_function.lambda_handler' },
    { runtime: 'python', files: { 'app.py': 'async def handler(event, context):\n  return 1\n' }, convention: 'lambda', entry: 'app.handler' },
    { runtime: 'python', files: { 'handler.py': 'def handle(req):\n  return req\n' }, convention: 'openfaas', entry: 'handler.handle' },
    { runtime: 'python', files: { '__main__.py': 'def main(args):\n  return {}\n' }, convention: 'openwhisk', entry: '__main__.main' },
    { runtime: 'python', files: { 'main.py': 'def main(x):\n  print(x)\nif __name__ == "__main__":\n  main(1)\n' }, convention: 'script' },
    { runtime: 'python', files: { 'main.py': 'import json, os\nprint(json.dumps({}))\n' }, convention: 'script' },
    { runtime: 'node', files: { 'index.js': 'exports.handler = async (event) => event;\n' }, convention: 'lambda', entry: 'index.handler' },
    { runtime: 'node', files: { 'index.mjs': 'export const handler = async () => 1;\n' }, convention: 'lambda', entry: 'index.handler' },
    { runtime: 'node', files: { 'handler.js': "'use strict'\nmodule.exports = async (event, context) => 1;\n" }, convention: 'openfaas', entry: 'handler' },
    { runtime: 'node', files: { 'hello.js': 'function main(params) {\n  return {};\n}\n' }, convention: 'openwhisk', entry: 'hello.main' },
    { runtime: 'node', files: { 'index.js': 'function main(p) { console.log(1) }\nmain(1);\n' }, convention: 'script' },
    { runtime: 'node', files: { 'hello.js': 'function main() {\n  return { payload: "Hello world" };\n}\n' }, convention: 'openwhisk', entry: 'hello.main' },
    { runtime: 'node', files: { 'hello.js': 'function main({ name }) {\n  return { name };\n}\n' }, convention: 'openwhisk', entry: 'hello.main' },
    { runtime: 'node', files: { 'index.js': 'function myAction(args) { return {} }\nexports.main = myAction;\n' }, convention: 'openwhisk', entry: 'index.main' },
    { runtime: 'python', files: { 'app.py': 'def lambda_handler(event: dict, context: "LambdaContext") -> dict:\n  return {}\n' }, convention: 'lambda', entry: 'app.lambda_handler' },
    { runtime: 'python', files: { 'hello.py': 'def main(args: dict) -> dict:\n  return {}\n' }, convention: 'openwhisk', entry: 'hello.main' },
    { runtime: 'go', files: { 'a.go': 'package main\nfunc Main(obj map[string]any) map[string]any { return obj }\n' }, convention: 'openwhisk' },
    { runtime: 'go', files: { 'main.go': 'package main\nimport "github.com/aws/aws-lambda-go/lambda"\n' }, convention: 'lambda' },
    { runtime: 'go', files: { 'a.go': 'package main\nfunc Main(obj map[string]interface{}) map[string]interface{} { return obj }\n' }, convention: 'openwhisk' },
    { runtime: 'go', files: { 'handler.go': 'package function\nfunc Handle(req []byte) string { return "" }\n' }, convention: 'openfaas' },
    { runtime: 'go', files: { 'handler.go': 'package function\nfunc Handle(w http.ResponseWriter, r *http.Request) {}\n' }, convention: 'openfaas' },
    { runtime: 'go', files: { 'main.go': 'package main\nfunc main() {}\n' }, convention: 'script' },
    { runtime: 'go', files: { 'main.go': 'package main\nimport "os"\nfunc main() { _ = os.Getenv("AWS_LAMBDA_RUNTIME_API") }\n' }, convention: 'lambda' },
    { runtime: 'go', files: { bootstrap: '\u007fELF' }, convention: 'lambda' },
  ] as const)('$runtime $convention ($entry)', async ({ runtime, files, convention, ...rest }) => {
    const got = await detect(runtime, files as unknown as Record<string, string>);
    expect(got.convention).toBe(convention);
    expect(got.entry).toBe('entry' in rest ? rest.entry : undefined);
  });
});

describe('detectRuntime', () => {
  it('a folder holding only a bootstrap executable is a custom runtime, run in the Go image', () => {
    expect(detectRuntime(['bootstrap'])).toBe('go');
    expect(detectRuntime(['bootstrap', 'handler.py'])).toBe('python');
  });
});
