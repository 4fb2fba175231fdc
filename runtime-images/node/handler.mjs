// Caisson convention dispatch for Node.js: handler, lambda, openwhisk, openfaas.
// Importable (the warm runtime server reuses it):
//   await load(convention, entry) → invoker(payload, context) → Promise<result> (rejects on error)
//   makeContext(env, start)       Caisson + AWS Lambda context fields
//   okEnvelope(result) / errorEnvelope(err) → the JSON text of result.json
// Run as a script (the cold path) it reads /caisson/io/payload.json, calls the function once
// and writes /caisson/io/result.json atomically:
//   {"ok":true,"result":<value>}
//   {"ok":false,"error":{"type":...,"message":...,"stack":...}}  (exit 1)
// console.log / console.error of the function are the container's stdout/stderr (logs).
import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import vm from 'node:vm';

const START = Date.now();
const IO_DIR = '/caisson/io';
export const FN_DIR = '/app/function';
const DEFAULT_FUNCTION = { handler: 'handler', lambda: 'handler', openwhisk: 'main', openfaas: undefined };

export class Failure extends Error {
  constructor(type, message) { super(message); this.type = type; }
}

function int(v, d) { const n = Number.parseInt(v ?? '', 10); return Number.isFinite(n) ? n : d; }

export function makeContext(env = process.env, start = START) {
  const timeoutMs = int(env.CAISSON_TIMEOUT_MS, 60000);
  const memoryMb = int(env.CAISSON_MEMORY_MB, 0);
  const ctx = {
    invocationId: env.CAISSON_INVOCATION_ID ?? '',
    attempt: int(env.CAISSON_ATTEMPT, 1),
    functionName: env.CAISSON_FUNCTION ?? '',
    functionVersion: env.CAISSON_VERSION ?? '',
    memoryLimitMb: memoryMb,
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - start)),
  };
  // AWS Lambda's names (memoryLimitInMB is a string there too).
  return Object.assign(ctx, {
    awsRequestId: ctx.invocationId,
    memoryLimitInMB: String(memoryMb),
    invokedFunctionArn: `arn:caisson:function:${ctx.functionName}:${ctx.functionVersion}`,
    logGroupName: `/caisson/${ctx.functionName}`,
    logStreamName: ctx.invocationId,
    callbackWaitsForEmptyEventLoop: true,
  });
}

/** 'module.function', 'module' or 'module.js' → { mod, name } (name undefined: the convention's default). */
export function parseEntry(entry) {
  const e = entry || 'index';
  if (/\.(c|m)?js$/.test(e) || !e.includes('.')) return { mod: e.replace(/\.(c|m)?js$/, ''), name: undefined };
  const dot = e.lastIndexOf('.');
  return { mod: e.slice(0, dot), name: e.slice(dot + 1) || undefined };
}

function moduleFile(mod) {
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(FN_DIR, `${mod}${ext}`)).find((f) => existsSync(f));
  if (!file) throw new Failure('HandlerNotFound', `no ${mod}.js, ${mod}.mjs or ${mod}.cjs in ${FN_DIR}`);
  return file;
}

function pick(ns, name) {
  if (name === undefined) {
    if (typeof ns.default === 'function') return ns.default;
    if (typeof ns === 'function') return ns;
    return undefined;
  }
  if (typeof ns[name] === 'function') return ns[name];
  if (ns.default && typeof ns.default[name] === 'function') return ns.default[name];
  if (name === 'handler' && typeof ns.default === 'function') return ns.default;
  return undefined;
}

/** OpenWhisk runs a plain script and calls its global `main`: evaluate it CommonJS-style and
 * ask the script's own scope for the function (no export needed). */
function loadScriptFunction(file, name) {
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n;return typeof ${name} === 'function' ? ${name} : undefined;\n})`;
  const module = { exports: {} };
  const fn = vm.runInThisContext(wrapper, { filename: file })(module.exports, createRequire(file), module, file, path.dirname(file));
  return fn ?? pick(module.exports, name);
}

async function resolveFunction(convention, entry) {
  const { mod, name: given } = parseEntry(entry);
  const name = given ?? DEFAULT_FUNCTION[convention];
  const file = moduleFile(mod);
  let fn;
  if (convention === 'openwhisk' && !file.endsWith('.mjs') && !isEsmPackage()) fn = loadScriptFunction(file, name);
  else fn = pick(await import(pathToFileURL(file).href), name);
  if (!fn) throw new Failure('HandlerNotFound', `${file} has no function '${name ?? 'module.exports'}'`);
  return fn;
}

function isEsmPackage() {
  try { return JSON.parse(readFileSync(path.join(FN_DIR, 'package.json'), 'utf8')).type === 'module'; } catch { return false; }
}

/** The failure of a function that exited while its module loaded, as its platform words it. */
export function initExitFailure(convention, code) {
  const status = Number.isInteger(code) ? code : 1;
  if (convention === 'lambda') return new Failure('Runtime.ExitError', `Runtime exited with error: exit status ${status}`);
  if (convention === 'openwhisk') return new Failure('InitError', `The action did not initialize and exited unexpectedly (exit status ${status}).`);
  return new Failure('InitError', `the function exited while loading (exit status ${status})`);
}

/** Lambda's names for a module that does not load; other errors keep their own. */
function lambdaInitFailure(e, entry) {
  if (e instanceof SyntaxError) return new Failure('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return new Failure('Runtime.ImportModuleError', `Error: ${e.message}`);
  if (e instanceof Failure && e.type === 'HandlerNotFound') return new Failure('Runtime.HandlerNotFound', `${entry} is undefined or not exported`);
  return e;
}

/** Imports the function once; returns invoker(payload, context) → Promise<result>. */
export async function load(convention, entry) {
  let fn;
  if (convention === 'lambda') {
    patchConsoleAsLambda(); // before the import, as the Lambda runtime does
    try { fn = await resolveFunction(convention, entry); } catch (e) { throw lambdaInitFailure(e, entry); }
  } else {
    fn = await resolveFunction(convention, entry);
  }
  switch (convention) {
    case 'handler': return async (payload, context) => fn(payload, context);
    // An invoke without a payload reaches a Lambda handler as {} (what the console and CLI send).
    case 'lambda': return (payload, context) => callLambda(fn, payload ?? {}, context);
    case 'openwhisk': return (payload, context) => callOpenWhisk(fn, payload, context);
    case 'openfaas': return (payload) => callOpenFaaS(fn, payload);
    default: throw new Failure('UnknownConvention', `convention '${convention}' is not served by this wrapper`);
  }
}

// --- AWS Lambda: async handler(event, context), or handler(event, context, callback) ---

const LAMBDA_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const CONSOLE_LEVELS = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', log: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };

/** Lambda's JSON log line: the message, and an Error's type, message and stack lines. */
function lambdaJsonLine(time, requestId, level, args) {
  const line = { timestamp: time, level, requestId, message: format(...args) };
  const error = args.find((a) => a instanceof Error);
  if (error) Object.assign(line, { errorType: error.constructor?.name ?? 'Error', errorMessage: error.message, stackTrace: String(error.stack ?? '').split('\n') });
  else if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
    try { line.message = JSON.parse(JSON.stringify(args[0])); } catch { /* not JSON: the formatted text stays */ }
  }
  return JSON.stringify(line);
}

/**
 * console.* as the Lambda Node.js runtime makes it: one stdout line per call,
 * `<ISO time>\t<request id>\t<LEVEL>\t<message>` (newlines inside as \r), or a JSON object with
 * AWS_LAMBDA_LOG_FORMAT=JSON; calls below AWS_LAMBDA_LOG_LEVEL print nothing. Idempotent.
 */
function patchConsoleAsLambda() {
  if (console[Symbol.for('caisson.lambdaConsole')]) return;
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const min = Math.max(0, LAMBDA_LEVELS.indexOf(process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? 'TRACE'));
  for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
    if (level !== 'FATAL' && LAMBDA_LEVELS.indexOf(level) < min) { console[method] = () => {}; continue; }
    console[method] = (...args) => {
      const time = new Date().toISOString();
      const requestId = process.env.CAISSON_INVOCATION_ID ?? ''; // per call: the warm server changes it
      const line = json ? lambdaJsonLine(time, requestId, level, args) : `${time}\t${requestId}\t${level}\t${format(...args)}`;
      process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
    };
  }
  console[Symbol.for('caisson.lambdaConsole')] = true;
}

function callLambda(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    Object.assign(context, { done: callback, succeed: (r) => resolve(r), fail: (e) => reject(e) });
    const returned = fn(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    else if (fn.length < 3) resolve(returned);
  });
}

// --- OpenWhisk: main(params) → object | Promise<object>; {error: …} is the action's failure ---

async function callOpenWhisk(fn, payload, context) {
  process.env.__OW_ACTIVATION_ID = context.invocationId;
  process.env.__OW_ACTION_NAME = `/caisson/${context.functionName}`;
  process.env.__OW_DEADLINE = String(Date.now() + context.getRemainingTimeInMillis());
  const params = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : payload == null ? {} : { payload };
  const returned = fn(params);
  let result;
  try {
    result = await returned;
  } catch (e) {
    // OpenWhisk answers a rejected promise with the error serialised, a thrown one with its text.
    if (returned !== null && typeof returned?.then === 'function' && e !== null && typeof e === 'object') errorFacts.set(e, { rejected: true });
    throw e;
  }
  if (result === undefined) result = {}; // a bare `return;` is an empty result on OpenWhisk
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new Failure('InvalidOutput', `the action must return an object (or a Promise of one), got ${Array.isArray(result) ? 'an array' : typeof result}`);
  }
  if ('error' in result) {
    const err = result.error;
    const failure = new Failure('ActionError', typeof err === 'string' ? err : err instanceof Error ? err.message : JSON.stringify(err));
    failure.value = err instanceof Error ? { name: err.name, message: err.message } : err; // OpenWhisk's own {error: …}
    throw failure;
  }
  return result;
}

// --- OpenFaaS (node18 / node20 templates): module.exports = async (event, context) ---

const HTTP_KEYS = new Set(['body', 'headers', 'method', 'path', 'query', 'isBase64Encoded']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The request body as a Buffer: base64 when isBase64Encoded (a binary body), else the text or the JSON text of a non-string body. */
function requestBody(payload, headers) {
  const body = payload.body ?? '';
  if (payload.isBase64Encoded === true) {
    if (typeof body !== 'string' || !BASE64.test(body) || body.length % 4 !== 0) throw new Failure('InvalidPayload', 'isBase64Encoded needs a base64 string body');
    return Buffer.from(body, 'base64');
  }
  if (typeof body === 'string') return Buffer.from(body);
  headers['content-type'] ??= 'application/json';
  return Buffer.from(JSON.stringify(body));
}

/** An HTTP-shaped payload ({body, headers, method, path, query, isBase64Encoded}, at least body or
 * method) is the request; any other payload is a POST whose body is its JSON text. The body is a Buffer. */
export function httpRequest(payload) {
  const isObj = payload !== null && typeof payload === 'object' && !Array.isArray(payload);
  if (isObj && Object.keys(payload).length > 0 && Object.keys(payload).every((k) => HTTP_KEYS.has(k)) && ('body' in payload || 'method' in payload)) {
    const headers = Object.fromEntries(Object.entries(payload.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const body = requestBody(payload, headers);
    return { method: String(payload.method ?? 'POST').toUpperCase(), path: String(payload.path ?? '/'), query: payload.query ?? {}, headers, body };
  }
  const body = typeof payload === 'string' ? payload : payload == null ? '' : JSON.stringify(payload);
  return { method: 'POST', path: '/', query: {}, headers: { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json' }, body: Buffer.from(body) };
}

/**
 * event.body as the node18/node20 templates' body parsers give it: JSON parsed, text (text/*,
 * a form, or no type: the template's default text/plain) a string, any other type the raw
 * Buffer, as the template gives every body with RAW_BODY=true (honoured here too).
 */
function eventBody(req) {
  if (process.env.RAW_BODY === 'true') return req.body;
  const type = req.headers['content-type'] ?? 'text/plain';
  if (/json/i.test(type)) {
    const text = req.body.toString('utf8');
    if (!text) return text;
    try { return JSON.parse(text); } catch { return text; /* the template's parser would reject it; pass it on raw */ }
  }
  if (/^\s*(text\/|application\/x-www-form-urlencoded)/i.test(type)) return req.body.toString('utf8');
  return req.body;
}

/**
 * The answer's body: a Buffer or Uint8Array is bytes (as Express sends a Buffer), which travel
 * as text when they are NUL-free UTF-8 (NUL cannot be stored in a JSON column), else as base64
 * with isBase64Encoded; anything else as the template's res.send would write it.
 */
function answerBody(value) {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return isUtf8(bytes) && !bytes.includes(0) ? { body: bytes.toString('utf8') } : { body: bytes.toString('base64'), isBase64Encoded: true };
  }
  return { body: value === undefined ? '' : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value) };
}

function setHttpEnv(req) {
  process.env.Http_Method = req.method;
  process.env.Http_Path = req.path;
  process.env.Http_Query = new URLSearchParams(req.query).toString();
  for (const [k, v] of Object.entries(req.headers)) {
    process.env[`Http_${k.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('_')}`] = v;
  }
}

class FunctionContext {
  constructor(cb) { this.statusCode = 200; this.cb = cb; this.headerValues = {}; this.cbCalled = 0; }
  status(statusCode) { if (!statusCode) return this.statusCode; this.statusCode = statusCode; return this; }
  headers(value) { if (!value) return this.headerValues; this.headerValues = value; return this; }
  succeed(value) { this.cbCalled++; this.cb(undefined, value); }
  fail(value) { if (this.statusCode === 200) this.statusCode = 500; this.cbCalled++; this.cb(value); }
}

/**
 * The Content-Type the node18/node20 templates' Express sends: the template passes a string
 * (an object or array as its JSON text) to res.send, which makes it text/html when the handler
 * set no type and adds charset=utf-8 to a text type it did set; nothing is sent, no type.
 */
function expressContentType(headers, value) {
  if (value === undefined || value === null) return headers;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  // Express sends a Buffer as application/octet-stream, and a type set for it as it is.
  if (value instanceof Uint8Array) return key ? headers : { ...headers, 'Content-Type': 'application/octet-stream' };
  if (!key) return { ...headers, 'Content-Type': 'text/html; charset=utf-8' };
  const type = String(headers[key]);
  if (!/;\s*charset=/i.test(type)) headers[key] = `${type}; charset=utf-8`;
  return headers;
}

function callOpenFaaS(fn, payload) {
  const req = httpRequest(payload);
  setHttpEnv(req);
  const event = { body: eventBody(req), headers: req.headers, method: req.method, query: req.query, path: req.path };
  return new Promise((resolve, reject) => {
    const context = new FunctionContext((err, value) => {
      if (err) {
        const failure = err instanceof Error ? err : new Failure('FunctionFailed', typeof err === 'string' ? err : JSON.stringify(err));
        errorFacts.set(failure, { openfaasStatus: context.status() }); // what the template would have answered with
        return reject(failure);
      }
      resolve({ statusCode: context.status(), headers: expressContentType({ ...context.headers() }, value), ...answerBody(value) });
    });
    Promise.resolve(fn(event, context, context.cb))
      .then((res) => { if (!context.cbCalled) context.succeed(res); })
      .catch((e) => context.cb(e));
  });
}

// --- envelopes and the one-shot main ---

export function okEnvelope(result) {
  let json;
  try { json = result === undefined ? 'null' : JSON.stringify(result); } catch (e) { json = undefined; }
  if (json === undefined) throw new Failure('InvalidOutput', `the function's return value is not JSON-serialisable (${typeof result})`);
  return `{"ok":true,"result":${json}}`;
}

/** What the runtime learnt about an error on its way (rejected, not thrown; the OpenFaaS status), kept off the user's object. */
const errorFacts = new WeakMap();

/** A stack with only the function's own frames (those in /app/function): none of the runtime's or Node's. */
export function userStack(stack) {
  return stack.split('\n').filter((line) => !/^\s+at /.test(line) || line.includes(`${FN_DIR}/`)).join('\n');
}

/** The function's error on stderr, as its log shows it: its own frames only. */
export function logError(e) {
  process.stderr.write(`${e instanceof Error && typeof e.stack === 'string' ? userStack(e.stack) : String(e)}\n`);
}

/** The error as the function's own platform reports it: Lambda's error object, OpenWhisk's {error: …}, an OpenFaaS template's answer. */
function platformError(convention, e, type, message, stack) {
  if (convention === 'lambda') {
    return { errorType: type, errorMessage: message, trace: e instanceof Failure ? [] : stack.split('\n') };
  }
  if (convention === 'openwhisk') {
    if (e instanceof Failure && e.type === 'ActionError') return { error: e.value ?? message };
    // A thrown error: the runtime's words; a rejected promise: the error serialised.
    return e && errorFacts.get(e)?.rejected ? { error: { name: type, message, stack } } : { error: `An error has occurred: ${type}: ${message}` };
  }
  // node18's template answers a thrown error with its text and the status set so far (200 unless context.fail()).
  if (convention === 'openfaas') return { statusCode: (e && errorFacts.get(e)?.openfaasStatus) ?? 200, body: `${type}: ${message}` };
  return undefined;
}

export function errorEnvelope(e) {
  const isObj = e !== null && typeof e === 'object';
  const type = e instanceof Failure ? e.type
    : isObj ? (e.name && e.name !== 'Error' ? e.name : e.constructor?.name && e.constructor.name !== 'Object' ? e.constructor.name : e.name ?? 'Error')
    : 'Error';
  const message = isObj ? String(e.message ?? JSON.stringify(e)) : String(e);
  const stack = isObj && typeof e.stack === 'string' ? userStack(e.stack) : '';
  const platform = platformError(process.env.CAISSON_CONVENTION || 'handler', isObj ? e : undefined, type, message, stack);
  return JSON.stringify({ ok: false, error: { type, message, stack, ...(platform ? { platform } : {}) } });
}

function readPayload() {
  let text;
  try { text = readFileSync(`${IO_DIR}/payload.json`, 'utf8'); }
  catch (e) { if (e.code !== 'ENOENT') throw e; text = process.env.FUNCTION_PAYLOAD; }
  if (text === undefined || text.trim() === '') return null;
  try { return JSON.parse(text); }
  catch (e) { throw new Failure('InvalidPayload', `payload is not valid JSON: ${e.message}`); }
}

function writeResult(envelope) {
  writeFileSync(`${IO_DIR}/.result.tmp`, envelope);
  renameSync(`${IO_DIR}/.result.tmp`, `${IO_DIR}/result.json`);
}

async function main() {
  let done = false;
  const finish = (envelope, code) => {
    if (done) return;
    done = true;
    try {
      writeResult(envelope);
    } catch (e) {
      process.stderr.write(`caisson: cannot write ${IO_DIR}/result.json (${e.message}); result: ${envelope}\n`);
      code = 70;
    }
    // Output to a pipe may still be queued in this process: exiting now would drop it (all but
    // the first 64 KiB of a heavy logger). write('', cb) calls back once everything before it is out.
    let pending = 2;
    const exit = () => { if (--pending === 0) process.exit(code); };
    process.stdout.write('', exit);
    process.stderr.write('', exit);
  };
  const fail = (e) => {
    if (!(e instanceof Failure)) logError(e);
    finish(errorEnvelope(e), 1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    const convention = process.env.CAISSON_CONVENTION || 'handler';
    // A module that exits while it loads is an init failure: say so before the process goes.
    const onInitExit = (code) => { if (!done) writeResult(errorEnvelope(initExitFailure(convention, code))); };
    process.once('exit', onInitExit);
    const invoker = await load(convention, process.env.CAISSON_ENTRY || 'index');
    process.off('exit', onInitExit);
    finish(okEnvelope(await invoker(readPayload(), makeContext())), 0);
  } catch (e) {
    fail(e);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
