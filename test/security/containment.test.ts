// Hostile functions against the io path, the warm socket and the network: each deploys
// ordinary code through the public api, attacks what the worker touches, and asserts what
// the host sees afterwards (a marker file untouched, bounded sizes, the worker still serving,
// no process left behind, no container left after the worker stops).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deploySource, hostMarker, invoke, processesIn } from './support/hostile.js';

const docker = createDockerRuntime({});
let stack: TestStack;
const marker = hostMarker();

// Replaces every entry of the dirs it can see with links to the host marker, from a thread
// (or a daemon) that outlives the invocation: the next invocations' payloads and results
// would be written or read through them if the worker followed anything.
const PY_SWAPPER = `
import os, threading, time, errno

def swap(target, seconds):
    until = time.time() + seconds
    while time.time() < until:
        for d in ("/caisson/io", "/caisson/sock"):
            for name in ("payload.json", "payload.env", "result.json", "warm.sock", "go", "x"):
                p = os.path.join(d, name)
                try:
                    if os.path.lexists(p):
                        os.unlink(p)
                    os.symlink(target, p)
                except OSError:
                    pass
        time.sleep(0.005)

def handler(event, context):
    if event.get("swap"):
        threading.Thread(target=swap, args=(event["swap"], 4), daemon=True).start()
        time.sleep(0.3)
    report = {}
    for p in ("/caisson/sock/x", "/caisson/sock/y"):
        try:
            open(p, "w").close()
            report[p] = "created"
        except OSError as e:
            report[p] = errno.errorcode.get(e.errno, str(e.errno))
    return {"seen": event.get("value"), "sock": report}
`;

// The script convention's daemon: double fork, setsid, stdio closed; it swaps the io dir's
// files for links to the marker for a few seconds, and leaves its pid in /tmp.
const PY_DAEMON = `
import json, os, sys, time
payload = json.loads(sys.stdin.read() or "{}")
if payload.get("check"):
    try:
        pid = int(open("/tmp/daemon.pid").read())
        os.kill(pid, 0)
        alive = True
    except (OSError, ValueError):
        alive = False
    print(json.dumps({"daemonAlive": alive, "seen": payload.get("value")}))
    sys.exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        open("/tmp/daemon.pid", "w").write(str(os.getpid()))
        until = time.time() + 6
        while time.time() < until:
            for name in ("payload.json", "result.json"):
                p = "/caisson/io/" + name
                try:
                    if os.path.lexists(p):
                        os.unlink(p)
                    os.symlink(payload["target"], p)
                except OSError:
                    pass
            time.sleep(0.005)
        os._exit(0)
    os._exit(0)
time.sleep(0.3)
print(json.dumps({"started": True}))
`;

const NODE_DAEMON = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const payload = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');
if (payload.check) {
  let alive = false;
  try { process.kill(Number(fs.readFileSync('/tmp/daemon.pid', 'utf8')), 0); alive = true; } catch {}
  console.log(JSON.stringify({ daemonAlive: alive, seen: payload.value }));
} else {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  fs.writeFileSync('/tmp/daemon.pid', String(child.pid));
  child.unref();
  console.log(JSON.stringify({ started: true }));
}
`;

// Writes until the io dir (or /tmp) is full and says how far it got.
const PY_FILL = `
import json, sys
payload = json.loads(sys.stdin.read() or "{}")
written, error = 0, None
chunk = b"x" * (1 << 20)
try:
    with open(payload["path"], "wb") as f:
        for _ in range(500):
            f.write(chunk)
            f.flush()
            written += len(chunk)
except OSError as e:
    error = e.strerror
print(json.dumps({"written": written, "error": error}))
`;

// Leaves something other than a regular file at result.json and exits before the wrapper
// would write the real one.
const PY_BAD_RESULT = `
import os
def handler(event, context):
    p = "/caisson/io/result.json"
    if event["kind"] == "fifo":
        os.mkfifo(p)
    elif event["kind"] == "symlink":
        os.symlink(event["target"], p)
    elif event["kind"] == "dir":
        os.mkdir(p)
    os._exit(0)
`;

// In-process handlers share the server's process: they can write to its socket directly.
const PY_SOCKET_WRITER = `
import __main__, base64, os, socket
def handler(event, context):
    conn = __main__._conn
    mode = event.get("mode")
    if mode == "malformed":
        conn.sendall(b'{"fd":1,"b64":"QUJD"\\n')
    elif mode == "not-json":
        conn.sendall(b"\\x00\\xff garbage\\n")
    elif mode == "bad-fd":
        conn.sendall(b'{"fd":7,"b64":"QUJD"}\\n')
    elif mode == "bad-reply":
        conn.sendall(b'{"exitCode":"zero","stdoutDropped":-1}\\n')
    elif mode == "endless-line":
        block = b"A" * (1 << 20)
        for _ in range(60):
            conn.sendall(block)
    elif mode == "frame-flood":
        frame = b'{"fd":1,"b64":"' + base64.b64encode(b"y" * 49152) + b'"}\\n'
        for _ in range(1300):
            conn.sendall(frame)
    elif mode == "half-frame":
        conn.sendall(b'{"fd":1,"b64":"QU')
        conn.shutdown(socket.SHUT_RDWR)
        os._exit(0)
    return {"mode": mode}
`;

// Listens on loopback at load (stays up in its warm container); probes loopback when asked.
const PY_LISTENER = `
import socket, threading
PORT = 47011
def serve():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(8)
    while True:
        c, _ = s.accept()
        c.sendall(b"secret of another function")
        c.close()
threading.Thread(target=serve, daemon=True).start()

def probe(port):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
        return {"connected": True, "got": c.recv(100).decode()}
    except OSError as e:
        return {"connected": False, "error": str(e)}

def handler(event, context):
    return probe(PORT) if event.get("probe") else {"listening": PORT}
`;
const PY_PROBER = `
import socket
def handler(event, context):
    try:
        c = socket.create_connection(("127.0.0.1", 47011), timeout=1)
        return {"connected": True, "got": c.recv(100).decode()}
    except OSError as e:
        return {"connected": False, "error": str(e)}
`;

const py = (name: string, source: string, extra: { convention?: 'handler' | 'script'; fresh?: boolean } = {}) => ({
  name, runtime: 'python' as const, fileName: 'main.py', source,
  convention: extra.convention ?? 'script', entry: extra.convention === 'handler' ? 'main.handler' : undefined, fresh: extra.fresh,
});

beforeAll(async () => {
  stack = await startTestStack({ name: 'hostile' });
  await Promise.all([
    deploySource(stack.client, py('swapper', PY_SWAPPER, { convention: 'handler' })),
    deploySource(stack.client, py('py-daemon', PY_DAEMON)),
    deploySource(stack.client, { name: 'node-daemon', runtime: 'node', fileName: 'index.js', source: NODE_DAEMON }),
    deploySource(stack.client, py('fill-cold', PY_FILL, { fresh: true })),
    deploySource(stack.client, py('fill-warm', PY_FILL)),
    deploySource(stack.client, py('bad-result', PY_BAD_RESULT, { convention: 'handler', fresh: true })),
    deploySource(stack.client, py('socket-writer', PY_SOCKET_WRITER, { convention: 'handler' })),
    deploySource(stack.client, py('listener', PY_LISTENER, { convention: 'handler' })),
    deploySource(stack.client, py('prober', PY_PROBER, { convention: 'handler' })),
    deploySource(stack.client, py('prober-cold', PY_PROBER, { convention: 'handler', fresh: true })),
    deploySource(stack.client, py('echo-cold', 'def handler(event, context):\n    return event\n', { convention: 'handler', fresh: true })),
  ]);
});

afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
  expect(marker.untouched()).toBe(true);
});

describe('links, fifos and leftovers in what the worker touches', () => {
  it('a thread that swaps the io and socket dirs for links to a host file changes nothing on the host', async () => {
    const first = await invoke(stack.client, 'swapper', { swap: marker.path, value: 0 });
    expect(first.status).toBe('SUCCEEDED');
    // The socket's dir is closed to the container once the worker is connected.
    expect(first.result).toMatchObject({ sock: { '/caisson/sock/x': 'EACCES', '/caisson/sock/y': 'EACCES' } });
    for (let i = 1; i <= 5; i++) {
      const v = await invoke(stack.client, 'swapper', { value: `PWNED-${i}` });
      expect(v.status).toBe('SUCCEEDED');
      expect(v.result).toMatchObject({ seen: `PWNED-${i}` });
    }
    expect(marker.untouched()).toBe(true);
  });

  it.each(['py-daemon', 'node-daemon'])('%s: a setsid/detached daemon of a script is gone before the next invocation', async (fn) => {
    const started = await invoke(stack.client, fn, { target: marker.path });
    expect(started.status).toBe('SUCCEEDED');
    const containerId = (started.attemptLog.at(-1) as { containerId?: string }).containerId!;
    for (let i = 0; i < 3; i++) {
      const check = await invoke(stack.client, fn, { check: true, value: `v${i}` });
      expect(check.status).toBe('SUCCEEDED');
      expect(check.result).toEqual({ daemonAlive: false, seen: `v${i}` });
    }
    // Only the init, the runtime server and (Python) its standby child run between invocations.
    const left = await processesIn(containerId).catch(() => [] as string[]);
    expect(left.filter((p) => !/docker-init|caisson_server|server\.mjs/.test(p))).toEqual([]);
    expect(marker.untouched()).toBe(true);
  });

  it.each([
    { kind: 'fifo', message: /not a regular file/ },
    { kind: 'symlink', message: /symbolic link/ },
    { kind: 'dir', message: /not a regular file/ },
  ])('a $kind at result.json is InvalidOutput at once, never followed or waited on', async ({ kind, message }) => {
    const started = Date.now();
    const v = await invoke(stack.client, 'bad-result', { kind, target: marker.path });
    expect(v.status).toBe('FAILED');
    expect(v.error).toMatchObject({ kind: 'InvalidOutput' });
    expect(v.error?.message).toMatch(message);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(marker.untouched()).toBe(true);
  });
});

describe('a chain step started early by the step before (chain-early-runs.ts)', () => {
  it.each([
    { kind: 'symlink', message: /symbolic link/ },
    { kind: 'fifo', message: /not a regular file/ },
  ])('a $kind at its result.json is InvalidOutput at once, never followed or waited on', async ({ kind, message }) => {
    const name = `early-${kind}`;
    await stack.client.chains.create.mutate({ definition: {
      name, steps: [{ name: 'a', function: 'echo-cold' }, { name: 'b', function: 'bad-result', input: '$.steps.a.output', retry: { maxAttempts: 1 } }],
    } });
    const started = Date.now();
    const v = await stack.client.chains.invoke.mutate({ name, input: { kind, target: marker.path } });
    expect(v.status).toBe('FAILED');
    const b = v.chain.steps.find((s) => s.name === 'b')!;
    expect(b.error).toMatchObject({ kind: 'InvalidOutput' });
    expect(b.error?.message).toMatch(message);
    expect(Date.now() - started).toBeLessThan(15_000);
    // b ran in the container a started with its input: its workflow created none.
    const history = await stack.api.temporal.workflow.getHandle(`${v.id}/b`).fetchHistory();
    expect(history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
    expect(marker.untouched()).toBe(true);
  });
});

describe('bounded: what a container can make the host hold', () => {
  it.each(['fill-cold', 'fill-warm'])('%s: /caisson/io stops at its tmpfs size, not the host disk', async (fn) => {
    const v = await invoke(stack.client, fn, { path: '/caisson/io/fill' });
    expect(v.status).toBe('SUCCEEDED');
    const r = v.result as { written: number; error: string | null };
    expect(r.error).toMatch(/No space left/);
    expect(r.written).toBeLessThan(20 * 1024 * 1024); // payload + result limits + 1 MiB
  });
});

describe('malformed and oversized frames on the warm socket', () => {
  it.each(['malformed', 'not-json', 'bad-fd', 'bad-reply', 'endless-line'])(
    '%s: that invocation is InvalidOutput, the container retired, the worker serves the next',
    async (mode) => {
      const v = await invoke(stack.client, 'socket-writer', { mode });
      expect(v.status).toBe('FAILED');
      expect(v.error).toMatchObject({ kind: 'InvalidOutput' });
      expect(v.error?.message).toMatch(/broke its protocol/);
      const next = await invoke(stack.client, 'socket-writer', { mode: 'fine' });
      expect(next.status).toBe('SUCCEEDED');
      expect(next.result).toEqual({ mode: 'fine' });
    },
  );

  it('60 MB of valid frames: kept up to the cap, the rest counted as dropped', async () => {
    const v = await invoke(stack.client, 'socket-writer', { mode: 'frame-flood' });
    expect(v.status).toBe('SUCCEEDED');
    const dropped = Number(/…\[truncated (\d+) bytes\]$/.exec(v.logs.stdout)?.[1] ?? NaN);
    expect(dropped).toBeGreaterThan(50_000_000);
    expect(v.logs.stdout.length).toBeLessThan(7 * 1024 * 1024);
  });

  it('a socket closed mid-frame fails that invocation as the function\'s, and the worker goes on', async () => {
    const v = await invoke(stack.client, 'socket-writer', { mode: 'half-frame' });
    expect(v.status).toBe('FAILED');
    expect(v.error?.kind).not.toBe('InfrastructureError');
    expect((await invoke(stack.client, 'socket-writer', { mode: 'fine' })).status).toBe('SUCCEEDED');
  });
});

describe('no network path between functions', () => {
  it("another function's loopback listener is unreachable, warm or cold; its own is reachable", async () => {
    expect((await invoke(stack.client, 'listener', {})).result).toEqual({ listening: 47011 });
    // The listener is really up, in its own (warm) container's namespace.
    expect((await invoke(stack.client, 'listener', { probe: true })).result).toMatchObject({ connected: true });
    for (const fn of ['prober', 'prober-cold']) {
      const v = await invoke(stack.client, fn, {});
      expect(v.status).toBe('SUCCEEDED');
      expect(v.result).toMatchObject({ connected: false });
    }
  });
});
