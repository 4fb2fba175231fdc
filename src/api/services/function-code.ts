// Turns a deploy request's code and settings into an artifact and a version's settings:
// format detection, defaults per runtime and convention, size limits. Pure.
import { createHash } from 'node:crypto';
import { LimitExceededError, ValidationError } from '../../shared/errors.js';
import type { Artifact, Convention, Runtime } from '../../shared/types.js';

const DEFAULT_FILE: Record<Runtime, string> = { python: 'main.py', node: 'index.js', go: 'main.go' };
/** Default entries per convention when the deploy names none (runtime-images/README.md, Conventions).
 * Go: the exported function the build wraps ('auto': HandleRequest, Handler or Handle, or a lambda.Start program). */
const DEFAULT_ENTRY: Record<Exclude<Convention, 'script'>, Record<Runtime, string>> = {
  handler: { python: 'main.handler', node: 'index.handler', go: 'handler' },
  lambda: { python: 'lambda_function.lambda_handler', node: 'index.handler', go: 'auto' },
  openwhisk: { python: '__main__.main', node: 'index.main', go: 'Main' },
  openfaas: { python: 'handler.handle', node: 'handler', go: 'Handle' },
};
/** The function a single uploaded file is called through, per convention (the module is the file). */
const DEFAULT_FUNCTION: Record<Exclude<Convention, 'script' | 'handler'>, Partial<Record<Runtime, string>>> = {
  lambda: { python: 'lambda_handler', node: 'handler' },
  openwhisk: { python: 'main', node: 'main' },
  openfaas: { python: 'handle' },
};

export interface DecodedCode {
  bytes: Buffer;
  artifact: Artifact;
}

export function decodeCode(input: { code: string; fileName?: string; runtime: Runtime; maxBytes: number }): DecodedCode {
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

/** The entry to run: for script, a file (single-file code: that file); otherwise module.function
 * (Go: the exported function name). One uploaded file is the module. */
export function resolveEntry(input: { runtime: Runtime; convention: Convention; entry?: string; artifact: Artifact }): string {
  const { runtime, convention, artifact } = input;
  if (input.entry) return input.entry;
  if (convention === 'script') return runtime === 'go' ? 'handler' : (artifact.fileName ?? DEFAULT_FILE[runtime]);
  const file = artifact.format === 'file' ? artifact.fileName : undefined;
  if (runtime !== 'go' && file && convention !== 'handler') {
    const module = file.replace(/\.(py|c?js|mjs)$/, '');
    const fn = DEFAULT_FUNCTION[convention][runtime];
    return fn ? `${module}.${fn}` : module;
  }
  return DEFAULT_ENTRY[convention][runtime];
}
