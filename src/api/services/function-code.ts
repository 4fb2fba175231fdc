// Turns a deploy request's code and settings into an artifact and a version's settings:
// format detection, defaults per runtime and convention, size limits. Pure.
import { createHash } from 'node:crypto';
import { LimitExceededError, ValidationError } from '../../shared/errors.js';
import type { Artifact, Convention, RuntimeFamily } from '../../shared/types.js';

const DEFAULT_FILE: Record<RuntimeFamily, string> = { python: 'main.py', node: 'index.js', go: 'main.go' };
/** Default entries per convention when the deploy names none (docs/runtimes.md, Conventions).
 * Go: the exported function the build wraps ('auto': HandleRequest, Handler or Handle, or a lambda.Start program). */
const DEFAULT_ENTRY: Record<Exclude<Convention, 'script'>, Record<RuntimeFamily, string>> = {
  handler: { python: 'main.handler', node: 'index.handler', go: 'handler' },
  lambda: { python: 'lambda_function.lambda_handler', node: 'index.handler', go: 'auto' },
  openwhisk: { python: '__main__.main', node: 'index.main', go: 'Main' },
  openfaas: { python: 'handler.handle', node: 'handler', go: 'Handle' },
};
/** The function a single uploaded file is called through, per convention (the module is the file). */
const DEFAULT_FUNCTION: Record<Exclude<Convention, 'script'>, Partial<Record<RuntimeFamily, string>>> = {
  handler: { python: 'handler', node: 'handler' },
  lambda: { python: 'lambda_handler', node: 'handler' },
  openwhisk: { python: 'main', node: 'main' },
  openfaas: { python: 'handle' },
};

export interface DecodedCode {
  bytes: Buffer;
  artifact: Artifact;
}

export function decodeCode(input: { code: string; fileName?: string; runtime: RuntimeFamily; maxBytes: number }): DecodedCode {
  const bytes = Buffer.from(input.code, 'base64');
  if (bytes.length === 0) throw new ValidationError('code decodes to zero bytes', 'code');
  if (bytes.length > input.maxBytes) throw new LimitExceededError('code', bytes.length, input.maxBytes);
  const isTgz = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const artifact: Artifact = isTgz
    ? { sha256, format: 'tgz', sizeBytes: bytes.length }
    : { sha256, format: 'file', fileName: input.fileName ?? DEFAULT_FILE[input.runtime], sizeBytes: bytes.length };
  return { bytes, artifact };
}

/** Source files a runtime's entry may name. */
const SOURCE_FILE: Record<Exclude<RuntimeFamily, 'go'>, RegExp> = { python: /\.py$/, node: /\.(c?js|mjs)$/ };
/** The files the run scripts try first for a script (runtime-images/{python,node}/run). */
const SCRIPT_FILES: Record<Exclude<RuntimeFamily, 'go'>, string[]> = { python: ['main.py', 'handler.py', 'function.py'], node: ['index.js', 'main.js'] };

/** An archive's path as the function sees it under /app/function ('./a.py' → 'a.py'). */
export function codePath(path: string): string {
  return path.replace(/^(\.\/)+/, '');
}

/**
 * The entry to run: for script, a file (single-file code: that file); otherwise module.function
 * (Go: the exported function name). One uploaded file is the module; in an archive (`files`:
 * its regular files) the convention's default module when it is there, else its only
 * top-level source file.
 */
export function resolveEntry(input: { runtime: RuntimeFamily; convention: Convention; entry?: string; artifact: Artifact; files?: readonly string[] }): string {
  const { runtime, convention, artifact } = input;
  if (input.entry) return input.entry;
  if (runtime === 'go') return convention === 'script' ? 'handler' : DEFAULT_ENTRY[convention].go;
  if (convention === 'script') {
    if (artifact.format === 'file') return artifact.fileName ?? DEFAULT_FILE[runtime];
    const present = SCRIPT_FILES[runtime].find((f) => input.files?.includes(f));
    return present ?? onlySourceFile(runtime, input.files) ?? DEFAULT_FILE[runtime];
  }
  const moduleEntry = (file: string) => {
    const module = file.replace(/\.(py|c?js|mjs)$/, '');
    const fn = DEFAULT_FUNCTION[convention][runtime];
    return fn ? `${module}.${fn}` : module;
  };
  if (artifact.format === 'file') return moduleEntry(artifact.fileName ?? DEFAULT_FILE[runtime]);
  const fallback = DEFAULT_ENTRY[convention][runtime];
  const files = input.files;
  if (!files || entryModuleFiles(runtime, fallback).some((f) => files.includes(f))) return fallback;
  const only = onlySourceFile(runtime, files);
  return only ? moduleEntry(only) : fallback;
}

function onlySourceFile(runtime: Exclude<RuntimeFamily, 'go'>, files: readonly string[] | undefined): string | undefined {
  const top = (files ?? []).filter((f) => !f.includes('/') && SOURCE_FILE[runtime].test(f));
  return top.length === 1 ? top[0] : undefined;
}

/** The files that may hold an entry's module, as the runtime's wrapper looks them up. */
function entryModuleFiles(runtime: Exclude<RuntimeFamily, 'go'>, entry: string): string[] {
  if (runtime === 'python') {
    // caisson_handler._resolve: 'module.py', 'pkg.module.function' or 'module'.
    const module = entry.endsWith('.py') ? entry.slice(0, -3) : entry.includes('.') ? entry.slice(0, entry.lastIndexOf('.')) : entry;
    const path = module.replace(/\./g, '/');
    return [`${path}.py`, `${path}/__init__.py`];
  }
  // handler.mjs parseEntry: 'module.js' or 'module' is the module, else 'module.function'.
  const mod = /\.(c|m)?js$/.test(entry) || !entry.includes('.') ? entry.replace(/\.(c|m)?js$/, '') : entry.slice(0, entry.lastIndexOf('.'));
  return ['.js', '.mjs', '.cjs'].map((ext) => `${mod}${ext}`);
}

/**
 * Why a version's entry cannot run with its code, or undefined: checked at deploy, so a wrong
 * entry fails the deploy instead of every invocation. Go entries are checked by the build.
 */
export function entryProblem(input: { runtime: RuntimeFamily; convention: Convention; entry: string; files: readonly string[] }): string | undefined {
  const { runtime, convention, entry } = input;
  if (runtime === 'go') return undefined;
  const files = input.files.map(codePath);
  const wanted = convention === 'script' ? [codePath(entry)] : entryModuleFiles(runtime, entry);
  if (wanted.some((f) => files.includes(f))) return undefined;
  const sources = files.filter((f) => SOURCE_FILE[runtime].test(f)).slice(0, 10);
  const what = convention === 'script' ? `the file ${wanted[0]}` : `its module (${wanted.join(' or ')})`;
  return `entry '${entry}' needs ${what}, which the code does not have; its ${runtime} files: ${sources.length ? sources.join(', ') : 'none'}`
    + (sources.length === 1 ? ` (set --entry, or leave it unset to use ${sources[0]})` : ' (set --entry)');
}
