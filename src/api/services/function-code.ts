// Turns a deploy request's code and settings into an artifact and a version's settings:
// format detection, defaults per runtime and convention, size limits. Pure.
import { createHash } from 'node:crypto';
import { LimitExceededError, ValidationError } from '../../shared/errors.js';
import type { Artifact, Convention, Runtime } from '../../shared/types.js';

const DEFAULT_FILE: Record<Runtime, string> = { python: 'main.py', node: 'index.js', go: 'main.go' };
const DEFAULT_HANDLER_ENTRY: Record<Runtime, string> = { python: 'main.handler', node: 'index.handler', go: 'handler' };

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

/** The entry to run: for script, a file (single-file code: that file); for handler, module.function. */
export function resolveEntry(input: { runtime: Runtime; convention: Convention; entry?: string; artifact: Artifact }): string {
  if (input.entry) return input.entry;
  if (input.runtime === 'go') return 'handler';
  if (input.convention === 'handler') return DEFAULT_HANDLER_ENTRY[input.runtime];
  return input.artifact.fileName ?? DEFAULT_FILE[input.runtime];
}
