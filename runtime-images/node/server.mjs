// Caisson warm runtime server for Node.js: one per warm container, serving one function
// version, one invocation at a time, over a unix socket in the bind-mounted /caisson/sock.
// The protocol (src/runtime/warm-protocol.ts) and modes are those of
// runtime-images/python/caisson_server.py: connected before the function is loaded, then
//   → {"ready":true,"mode":...}; each request line {"env","payload","stdoutCap","stderrCap","resultCap"}
//   ← output frames {"fd":1|2,"b64":...} as the function writes (capped), then
//     {"exitCode","stdoutDropped","stderrDropped","oomKilled","stray"?,
//      "envelopeB64"? | "resultTooLarge"? | "resultUnreadable"?}
// /caisson/io is this container's own tmpfs: emptied and given payload.json before each
// request, result.json read after it. After a script-convention invocation every other
// process of the container is killed (kill(-1)), so nothing it left reaches the next one.
// Functions of the handler, lambda, openwhisk and openfaas conventions run in this process:
// handler.mjs (the cold path's convention dispatch) loads the function once and is called
// per invocation. Script-convention functions run /caisson/bin/run (the cold path's
// wrapper) as a child process per invocation. When the worker's connection
// closes the server exits, and with it the container. Only one connection is accepted.
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const IO_DIR = '/caisson/io';
const SOCKET = '/caisson/sock/warm.sock';
const DEFAULT_RESULT_CAP = 6 << 20;
const HANDLER_MODULE = '/caisson/lib/handler.mjs';
const ACCEPT_TIMEOUT_MS = 60_000;
const DRAIN_MS = 200;
const BASE_ENV = { ...process.env };

function oomKills() {
  for (const path of ['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control']) {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(path, 'utf8'));
      if (m) return Number(m[1]);
    } catch { /* next */ }
  }
  return undefined;
}

let send = () => {};

/** Streams the first `cap` bytes of fd 1 or 2 to the worker and counts the rest. */
class Capped {
  constructor(fd, cap) { this.fd = fd; this.cap = cap; this.kept = 0; this.dropped = 0; }
  push(chunk) {
    const room = this.cap - this.kept;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.kept += part.length;
      send({ fd: this.fd, b64: part.toString('base64') });
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }
}

function runProcess(req) {
  return new Promise((resolve) => {
    const out = new Capped(1, req.stdoutCap ?? 1 << 20);
    const err = new Capped(2, req.stderrCap ?? 1 << 20);
    const before = oomKills();
    const child = spawn('/caisson/bin/run', [], {
      env: { ...BASE_ENV, ...req.env }, cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    let open = 2;
    let exit;
    let stray = false;
    const finish = () => {
      // Every process but this server and PID 1, in the child's group or not (a setsid daemon).
      try { process.kill(-1, 'SIGKILL'); } catch { /* none left */ }
      const after = oomKills();
      resolve({
        exitCode: (exit.code ?? 128 + (signals[exit.signal] ?? 0)) & 0xff,
        stdoutDropped: out.dropped, stderrDropped: err.dropped,
        oomKilled: before !== undefined && after !== undefined && after > before, stray,
        ...resultFields(readResult(req.resultCap ?? DEFAULT_RESULT_CAP), req.resultCap ?? DEFAULT_RESULT_CAP),
      });
    };
    const closed = () => { if (--open === 0 && exit) finish(); };
    child.stdout.on('close', closed);
    child.stderr.on('close', closed);
    child.on('error', (e) => { err.push(Buffer.from(`caisson: ${e.message}\n`)); exit = { code: 127 }; open = 0; finish(); });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (open === 0) return finish();
      // Stray descendants may hold the pipes: drain briefly, then stop.
      setTimeout(() => {
        if (open > 0) { stray = true; open = 0; child.stdout.destroy(); child.stderr.destroy(); finish(); }
      }, DRAIN_MS);
    });
  });
}

const signals = { SIGHUP: 1, SIGINT: 2, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

/** The convention module and the function loaded once (undefined: script, a child per invocation). */
async function loadInProcess() {
  const convention = BASE_ENV.CAISSON_CONVENTION || 'script';
  if (convention === 'script' || BASE_ENV.CAISSON_WARM_MODE === 'process') return undefined;
  let source;
  try { source = readFileSync(HANDLER_MODULE, 'utf8'); } catch { return undefined; }
  // An older image whose wrapper is not importable: a child per invocation.
  if (!/^export async function load\(/m.test(source)) return undefined;
  const mod = await import(HANDLER_MODULE); // the cold path's convention dispatch, reused as is
  // process.exit() while the module loads ends the load, not this server: an init failure that
  // every invocation reports (as the cold path does), instead of a container that dies at start.
  const exit = process.exit;
  process.exit = (code) => { throw mod.initExitFailure(convention, code ?? process.exitCode); };
  try {
    return { mod, invoker: await mod.load(convention, BASE_ENV.CAISSON_ENTRY || 'index') };
  } catch (e) {
    return { mod, loadError: e }; // the function's import error: every invocation reports it
  } finally {
    process.exit = exit;
  }
}

let current; // the in-process invocation under way: its own uncaught errors fail it
process.on('uncaughtException', (e) => (current ? current.fail(e) : process.exit(1)));
process.on('unhandledRejection', (e) => (current ? current.fail(e) : process.exit(1)));

function readPayload(mod) {
  let text;
  try { text = readFileSync(`${IO_DIR}/payload.json`, 'utf8'); } catch { text = process.env.FUNCTION_PAYLOAD; }
  if (text === undefined || text.trim() === '') return null;
  try { return JSON.parse(text); } catch (e) { throw new mod.Failure('InvalidPayload', `payload is not valid JSON: ${e.message}`); }
}

async function runInProcess({ mod, invoker, loadError }, req) {
  for (const k of Object.keys(process.env)) if (!(k in BASE_ENV)) delete process.env[k];
  Object.assign(process.env, BASE_ENV, req.env);
  const out = new Capped(1, req.stdoutCap ?? 1 << 20);
  const err = new Capped(2, req.stderrCap ?? 1 << 20);
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const capture = (buf) => (chunk, enc, cb) => {
    buf.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof enc === 'string' ? enc : 'utf8'));
    (typeof enc === 'function' ? enc : cb)?.();
    return true;
  };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  const before = oomKills();
  let envelope;
  let failed = false;
  try {
    envelope = await new Promise((resolve) => {
      const fail = (e) => {
        failed = true;
        if (!(e instanceof mod.Failure)) mod.logError(e);
        resolve(mod.errorEnvelope(e));
      };
      current = { fail };
      Promise.resolve()
        .then(() => { if (loadError) throw loadError; return invoker(readPayload(mod), mod.makeContext(process.env, Date.now())); })
        .then((result) => resolve(mod.okEnvelope(result)))
        .catch(fail);
    });
  } finally {
    current = undefined;
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
  const after = oomKills();
  const cap = req.resultCap ?? DEFAULT_RESULT_CAP;
  return {
    exitCode: failed ? 1 : 0,
    stdoutDropped: out.dropped, stderrDropped: err.dropped,
    oomKilled: before !== undefined && after !== undefined && after > before, stray: failed,
    ...resultFields(envelope === undefined ? {} : { data: Buffer.from(envelope) }, cap),
  };
}

/** /caisson/io as the cold path has it: emptied of what earlier invocations left, then the payload. */
function stage(req) {
  for (const name of readdirSync(IO_DIR)) {
    try { rmSync(`${IO_DIR}/${name}`, { recursive: true, force: true }); } catch { /* the function's own mess */ }
  }
  if (typeof req.payload === 'string') writeFileSync(`${IO_DIR}/payload.json`, req.payload);
}

/** result.json as the worker would read it: a regular file, not a link, at most cap bytes. */
function readResult(cap) {
  let fd;
  try {
    fd = openSync(`${IO_DIR}/result.json`, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (e.code === 'ENOENT') return {};
    return { unreadable: e.code === 'ELOOP' ? 'result.json is a symbolic link' : e.message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { unreadable: 'result.json is not a regular file' };
    if (st.size > cap) return { tooLarge: st.size };
    const data = Buffer.alloc(st.size);
    const n = readSync(fd, data, 0, st.size, 0);
    return { data: data.subarray(0, n) };
  } finally {
    closeSync(fd);
  }
}

/** The reply's part for the result: base64 of the envelope, or why there is none. */
function resultFields(r, cap) {
  if (r.data && r.data.length > cap) return { resultTooLarge: r.data.length };
  if (r.data) return { envelopeB64: r.data.toString('base64') };
  if (r.tooLarge !== undefined) return { resultTooLarge: r.tooLarge };
  if (r.unreadable !== undefined) return { resultUnreadable: r.unreadable };
  return {};
}

function listen() {
  try { unlinkSync(SOCKET); } catch { /* absent */ }
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen: false });
    const timer = setTimeout(() => {
      process.stderr.write(`caisson: no worker connected within ${ACCEPT_TIMEOUT_MS / 1000}s; exiting\n`);
      process.exit(3);
    }, ACCEPT_TIMEOUT_MS);
    server.once('connection', (conn) => {
      clearTimeout(timer);
      // One connection only: nothing the function starts can reach the server afterwards.
      server.close();
      try { unlinkSync(SOCKET); } catch { /* the worker unlinks it too, and makes the dir unwritable */ }
      resolve(conn);
    });
    const oldMask = process.umask(0); // the worker may run as another uid than this container
    server.listen(SOCKET, () => process.umask(oldMask));
  });
}

/**
 * A generic container (CAISSON_WARM_GENERIC=1: started before any function version claimed it)
 * says so, loads nothing, and takes its version's environment from the worker's first line,
 * once; the worker has put the version's code in /app/function by then. Afterwards this server
 * is exactly that version's, as if it had been started with that environment.
 */
function awaitSpecialisation(conn) {
  conn.write(`${JSON.stringify({ ready: true, mode: 'generic', pid: process.pid })}\n`);
  return new Promise((resolve) => {
    let text = '';
    const gone = () => process.exit(0); // the worker is gone before it claimed this container
    const onData = (chunk) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      conn.off('data', onData);
      conn.off('close', gone);
      const { env } = JSON.parse(text.slice(0, nl)).specialise;
      for (const target of [BASE_ENV, process.env]) {
        delete target.CAISSON_WARM_GENERIC;
        Object.assign(target, env);
      }
      resolve();
    };
    conn.on('data', onData);
    conn.on('close', gone);
  });
}

// Connected before any function code runs: the socket's dir is writable only until then.
const conn = await listen();
if (BASE_ENV.CAISSON_WARM_GENERIC === '1') await awaitSpecialisation(conn);
const loaded = await loadInProcess();
send = (obj) => conn.write(`${JSON.stringify(obj)}\n`);
send({ ready: true, mode: loaded ? 'in-process' : 'process', pid: process.pid });
let buffered = '';
let queue = Promise.resolve();
conn.on('data', (chunk) => {
  buffered += chunk.toString('utf8');
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const req = JSON.parse(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
    queue = queue.then(async () => {
      stage(req);
      send(loaded ? await runInProcess(loaded, req) : await runProcess(req));
    });
  }
});
// EOF: the worker is gone; a warm container never outlives it.
conn.on('close', () => process.exit(0));
conn.on('error', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
