// Packs a function for deploy: one file as is, a folder's regular files as a tar.gz
// (deterministic order; links are left out, as the api refuses them), and guesses the runtime and the convention from the files when they are not given.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { create } from 'tar';
import { pathProblem, quoteName } from '../shared/archive-policy.js';
import type { Convention, RuntimeFamily } from '../shared/types.js';

export interface PackedCode {
  code: string; // base64
  fileName?: string;
  files: string[];
}

const SKIP = new Set(['node_modules', '.git', '__pycache__', '.venv']);

export async function packCode(path: string): Promise<PackedCode> {
  const info = await stat(path);
  if (info.isFile()) return { code: (await readFile(path)).toString('base64'), fileName: basename(path), files: [basename(path)] };
  const files = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath ?? e.path}/${e.name}`.slice(path.replace(/\/$/, '').length + 1))
    .filter((f) => !f.split('/').some((part) => SKIP.has(part)))
    .sort();
  if (files.length === 0) throw new Error(`${path} holds no files`);
  // The api refuses an archive with such a name whatever its limits: say which file, before uploading.
  for (const f of files) {
    const problem = pathProblem(f);
    if (problem) throw new Error(`${quoteName(f)} is ${problem}: rename it or move it out of ${path}`);
  }
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: path, portable: true, noMtime: true }, files);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { code: Buffer.concat(chunks).toString('base64'), files };
}

export function detectRuntime(files: string[]): RuntimeFamily | undefined {
  const exts = new Set(files.map((f) => extname(f)));
  if (exts.has('.go') || files.includes('go.mod')) return 'go';
  if (exts.has('.py')) return 'python';
  if (exts.has('.js') || exts.has('.mjs') || exts.has('.cjs') || files.includes('package.json')) return 'node';
  // A Lambda custom runtime (provided.al2): a prebuilt executable named bootstrap, run in the Go image.
  if (files.includes('bootstrap')) return 'go';
  return undefined;
}

export interface DetectedConvention {
  convention: Convention;
  /** The entry the convention's files imply, when it differs from the api's default. */
  entry?: string;
  why: string;
}

const PATTERNS = {
  goLambda: /"github\.com\/aws\/aws-lambda-go\/lambda"/,
  goOpenWhisk: /^func Main\(\s*\w+\s+map\[string\](?:interface\{\}|any)\s*\)\s*map\[string\](?:interface\{\}|any)/m,
  goOpenFaaS: /^func Handle\(\s*\w+\s+(\[\]byte|http\.ResponseWriter)/m,
  // Type hints allowed: def lambda_handler(event: dict, context: LambdaContext) -> dict
  pyLambda: /^(?:async\s+)?def (lambda_handler|handler)\(\s*\w+\s*(?::[^,()]+)?,\s*\w+\s*(?::[^,()]+)?\)/m,
  pyOpenFaaS: /^def handle\(/m,
  // OpenWhisk's Python runtime calls main(args): a main() without one is a script's.
  pyOpenWhisk: /^def main\(\s*\w+\s*(?::[^,()]+)?\)/m,
  nodeLambda: /^\s*(?:exports\.handler\s*=|module\.exports\.handler\s*=|export\s+(?:const|let|var)\s+handler\s*=|export\s+(?:async\s+)?function\s+handler\s*\()/m,
  nodeOpenFaaS: /^\s*module\.exports\s*=\s*(?:async\s*)?(?:\(\s*event\s*,\s*context\s*\)|function\s*\w*\s*\(\s*event\s*,\s*context\s*\))/m,
  // function main(params), main() and main({ name }), or a zip action's exports.main = …
  nodeOpenWhisk: /^(?:async\s+)?function\s+main\s*\(\s*(?:\w+|\{[^)]*\})?\s*\)|^\s*(?:module\.)?exports\.main\s*=/m,
} as const;

/**
 * The convention a function's files were written for (docs/runtimes.md, "Detection"):
 * Go: imports aws-lambda-go/lambda, uses AWS_LAMBDA_RUNTIME_API, or is a prebuilt bootstrap → lambda;
 *   func Main(map…) map… → openwhisk; func Handle([]byte | http.ResponseWriter…) → openfaas.
 * Python: def lambda_handler(event, context) / handler(event, context) → lambda; handler.py with def handle(…) → openfaas;
 *   def main(args) with no `if __name__` guard → openwhisk.
 * Node.js: exports.handler / module.exports.handler / export const|function handler → lambda;
 *   handler.js with module.exports = (async) (event, context) → openfaas; a top-level function main(params) → openwhisk.
 * Anything else: script (the old platform's convention). --convention overrides.
 */
export async function detectConvention(root: string, files: string[], runtime: RuntimeFamily): Promise<DetectedConvention> {
  const read = async (f: string) => (await stat(join(root, f)).then((s) => s.size < 1024 * 1024).catch(() => false))
    ? readFile(join(root, f), 'utf8') : '';
  const top = files.filter((f) => !f.includes('/'));
  const sources = await Promise.all(top.map(async (f) => ({ file: f, text: await read(f) })));
  const module = (f: string) => f.replace(/\.(py|c?js|mjs)$/, '');
  if (runtime === 'go') {
    const go = sources.filter((s) => s.file.endsWith('.go')).map((s) => s.text).join('\n');
    if (PATTERNS.goLambda.test(go)) return { convention: 'lambda', why: 'imports github.com/aws/aws-lambda-go/lambda' };
    if (go.includes('AWS_LAMBDA_RUNTIME_API')) return { convention: 'lambda', why: 'speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API)' };
    if (!go && top.includes('bootstrap')) return { convention: 'lambda', why: 'a custom runtime: an executable named bootstrap' };
    if (PATTERNS.goOpenWhisk.test(go)) return { convention: 'openwhisk', why: 'has func Main(map[string]interface{}) map[string]interface{}' };
    if (PATTERNS.goOpenFaaS.test(go)) return { convention: 'openfaas', why: 'has func Handle([]byte) or Handle(http.ResponseWriter, *http.Request)' };
    return { convention: 'script', why: 'no other platform\'s handler found' };
  }
  const ext = runtime === 'python' ? /\.py$/ : /\.(c?js|mjs)$/;
  const candidates = sources.filter((s) => ext.test(s.file));
  for (const s of candidates) {
    if (runtime === 'python') {
      const m = PATTERNS.pyLambda.exec(s.text);
      if (m) return { convention: 'lambda', entry: `${module(s.file)}.${m[1]}`, why: `${s.file} defines ${m[1]}(event, context)` };
      if (s.file === 'handler.py' && PATTERNS.pyOpenFaaS.test(s.text)) return { convention: 'openfaas', entry: 'handler.handle', why: 'handler.py defines handle(req)' };
      if (PATTERNS.pyOpenWhisk.test(s.text) && !s.text.includes('__name__')) {
        return { convention: 'openwhisk', entry: `${module(s.file)}.main`, why: `${s.file} defines main(args) and does not run itself` };
      }
    } else {
      if (PATTERNS.nodeLambda.test(s.text)) return { convention: 'lambda', entry: `${module(s.file)}.handler`, why: `${s.file} exports handler` };
      if (s.file === 'handler.js' && PATTERNS.nodeOpenFaaS.test(s.text)) return { convention: 'openfaas', entry: 'handler', why: 'handler.js exports (event, context) => …' };
      if (PATTERNS.nodeOpenWhisk.test(s.text) && !/^\s*main\s*\(/m.test(s.text)) {
        return { convention: 'openwhisk', entry: `${module(s.file)}.main`, why: `${s.file} declares or exports main(params) and does not call it` };
      }
    }
  }
  return { convention: 'script', why: 'no other platform\'s handler found' };
}
