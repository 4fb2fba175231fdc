// Caisson handler-convention wrapper for Node.js.
// Imports CAISSON_ENTRY ("module.function", default "index.handler") from /app/function
// (module.js, .mjs or .cjs; CommonJS or ESM; sync or async), calls function(payload, context)
// and writes /caisson/io/result.json atomically:
//   {"ok":true,"result":<return value>}
//   {"ok":false,"error":{"type":<class name>,"message":...,"stack":...}}  (exit 1)
// console.log / console.error of the handler are the container's stdout/stderr (logs).
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const START = Date.now();
const IO_DIR = '/caisson/io';
const FN_DIR = '/app/function';
const env = process.env;

class Failure extends Error {
  constructor(type, message) { super(message); this.type = type; }
}

function int(v, d) { const n = Number.parseInt(v ?? '', 10); return Number.isFinite(n) ? n : d; }

function payload() {
  let text;
  try { text = readFileSync(`${IO_DIR}/payload.json`, 'utf8'); }
  catch (e) { if (e.code !== 'ENOENT') throw e; text = env.FUNCTION_PAYLOAD; }
  if (text === undefined || text.trim() === '') return null;
  try { return JSON.parse(text); }
  catch (e) { throw new Failure('InvalidPayload', `payload is not valid JSON: ${e.message}`); }
}

function context() {
  const timeoutMs = int(env.CAISSON_TIMEOUT_MS, 60000);
  return {
    invocationId: env.CAISSON_INVOCATION_ID ?? '',
    attempt: int(env.CAISSON_ATTEMPT, 1),
    functionName: env.CAISSON_FUNCTION ?? '',
    functionVersion: env.CAISSON_VERSION ?? '',
    memoryLimitMb: int(env.CAISSON_MEMORY_MB, 0),
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - START)),
  };
}

async function handler() {
  const entry = env.CAISSON_ENTRY || 'index.handler';
  const dot = entry.lastIndexOf('.');
  if (dot <= 0 || dot === entry.length - 1) {
    throw new Failure('HandlerNotFound', `CAISSON_ENTRY must be 'module.function', got '${entry}'`);
  }
  const mod = entry.slice(0, dot).replace(/\.(c|m)?js$/, '');
  const name = entry.slice(dot + 1);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => `${FN_DIR}/${mod}${ext}`).find((f) => existsSync(f));
  if (!file) throw new Failure('HandlerNotFound', `no ${mod}.js, ${mod}.mjs or ${mod}.cjs in ${FN_DIR}`);
  const ns = await import(pathToFileURL(file).href);
  const fn = typeof ns[name] === 'function' ? ns[name]
    : ns.default && typeof ns.default[name] === 'function' ? ns.default[name]
    : name === 'handler' && typeof ns.default === 'function' ? ns.default
    : undefined;
  if (!fn) throw new Failure('HandlerNotFound', `${file} exports no function '${name}'`);
  return fn;
}

function errorEnvelope(e) {
  const isObj = e !== null && typeof e === 'object';
  const type = e instanceof Failure ? e.type
    : isObj ? (e.constructor?.name && e.constructor.name !== 'Object' ? e.constructor.name : e.name ?? 'Error')
    : 'Error';
  const message = isObj ? String(e.message ?? '') : String(e);
  const stack = isObj && typeof e.stack === 'string' ? e.stack : '';
  return JSON.stringify({ ok: false, error: { type, message, stack } });
}

let done = false;
function finish(envelope, code) {
  if (done) return;
  done = true;
  try {
    writeFileSync(`${IO_DIR}/.result.tmp`, envelope);
    renameSync(`${IO_DIR}/.result.tmp`, `${IO_DIR}/result.json`);
  } catch (e) {
    process.stderr.write(`caisson: cannot write ${IO_DIR}/result.json (${e.message}); result: ${envelope}\n`);
    code = 70;
  }
  process.exit(code);
}

function fail(e) {
  if (!(e instanceof Failure)) console.error(e);
  finish(errorEnvelope(e), 1);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  const input = payload();
  const fn = await handler();
  const result = await fn(input, context());
  let envelope;
  try {
    const json = result === undefined ? 'null' : JSON.stringify(result);
    if (json === undefined) throw new TypeError(`a ${typeof result} is not JSON`);
    envelope = `{"ok":true,"result":${json}}`;
  } catch (e) {
    throw new Failure('InvalidOutput', `the handler's return value is not JSON-serialisable: ${e.message}`);
  }
  finish(envelope, 0);
} catch (e) {
  fail(e);
}
