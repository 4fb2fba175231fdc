"""Caisson warm runtime server for Python: one per warm container, serving one function
version, one invocation at a time, over a unix socket in the bind-mounted /caisson/io.

Protocol (one JSON object per line). On the worker's connection the server says
{"ready": true, "mode": ...}; each request {"env": {...}, "stdoutCap": n, "stderrCap": n}
is answered by output frames {"fd": 1|2, "b64": ...} as the function writes (capped), so a
container killed at its deadline has still delivered its output so far, then the reply
{"exitCode", "stdoutDropped", "stderrDropped", "oomKilled", "envelope"?, "stray"?}. The worker writes /caisson/io/payload.json before each request
and reads /caisson/io/result.json after it, exactly as on the cold path.

Modes: functions of the handler, lambda, openwhisk and openfaas conventions run in this
process: /caisson/lib/caisson_handler.py (the cold path's convention dispatch) loads the
function once and is called per invocation. Script-convention functions run
/caisson/bin/run as a child process per invocation, the very wrapper a cold container
runs. Either way conventions are never duplicated here.

The worker's connection is the lease: when it closes (the worker stopped or died) this
server exits, and with it the container. Only one connection is ever accepted.
"""
import base64
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

IO_DIR = "/caisson/io"
SOCKET = IO_DIR + "/warm.sock"
HANDLER_MODULE = "/caisson/lib/caisson_handler.py"
ACCEPT_TIMEOUT_S = 60
DRAIN_S = 0.2
BASE_ENV = dict(os.environ)


def oom_kills():
    """The container's cgroup OOM-kill counter (v2, then v1), or None."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


_send_lock = threading.Lock()
_conn = None


def send(obj):
    line = (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    with _send_lock:  # output frames come from pump threads too
        _conn.sendall(line)


class Capped:
    """Streams the first `cap` bytes of fd 1 or 2 to the worker and counts the rest (the
    cold path's CappedBuffer does the same with the attach stream)."""

    def __init__(self, fd, cap):
        self.fd, self.cap, self.kept, self.dropped = fd, cap, 0, 0

    def push(self, data):
        room = self.cap - self.kept
        if room > 0:
            part = data[:room]
            self.kept += len(part)
            send({"fd": self.fd, "b64": base64.b64encode(part).decode("ascii")})
        self.dropped += max(0, len(data) - max(room, 0))


def run_process(req):
    """The cold path's wrapper as a child: its exit code, capped output, OOM kills."""
    env = dict(BASE_ENV)
    env.update(req.get("env") or {})
    out, err = Capped(1, req.get("stdoutCap", 1 << 20)), Capped(2, req.get("stderrCap", 1 << 20))
    before = oom_kills()
    proc = subprocess.Popen(["/caisson/bin/run"], env=env, cwd="/tmp", stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    exited_at = None
    while sel.get_map():
        # After the child exits, stray descendants may hold the pipes: drain briefly, then stop.
        if exited_at is None and proc.poll() is not None:
            exited_at = time.monotonic()
        if exited_at is not None and time.monotonic() - exited_at > DRAIN_S:
            break
        for key, _ in sel.select(timeout=0.05):
            chunk = os.read(key.fd, 65536)
            if chunk:
                key.data.push(chunk)
            else:
                sel.unregister(key.fileobj)
    code = proc.wait()
    stray = bool(sel.get_map())
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever the function left running
    except OSError:
        pass
    for f in (proc.stdout, proc.stderr):
        f.close()
    after = oom_kills()
    return {
        "exitCode": 128 - code if code < 0 else code,
        "stdoutDropped": out.dropped, "stderrDropped": err.dropped,
        "oomKilled": before is not None and after is not None and after > before,
        "stray": stray,
    }


def load_in_process():
    """The convention module and the function loaded once, for the conventions it serves.

    Returns None for the script convention (a child per invocation), else (module, invoker,
    load_error): an import error is kept and reported by every invocation, as the cold path would.
    """
    if os.environ.get("CAISSON_CONVENTION", "script") == "script" or os.environ.get("CAISSON_WARM_MODE") == "process":
        return None
    try:
        with open(HANDLER_MODULE) as f:
            source = f.read()
    except OSError:
        return None
    if "\ndef load(" not in source or "__main__" not in source:
        return None  # an older image whose wrapper is not importable: a child per invocation
    sys.path.insert(0, os.path.dirname(HANDLER_MODULE))
    import caisson_handler  # noqa: the convention dispatch of the cold path, reused as is
    sys.path.remove(os.path.dirname(HANDLER_MODULE))
    try:
        return caisson_handler, caisson_handler.load(os.environ["CAISSON_CONVENTION"], os.environ.get("CAISSON_ENTRY") or "main"), None
    except BaseException as e:  # noqa: BLE001 - the function's import error is its own failure
        return caisson_handler, None, (e, traceback.format_exc())


class FdCapture:
    """fd 1 and 2 into capped buffers for one invocation: print(), logging handlers bound to
    the original streams and child processes alike, as the cold path's attach stream sees them."""

    def __init__(self, out_cap, err_cap):
        self.bufs = (Capped(1, out_cap), Capped(2, err_cap))

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self.saved, self.threads = [], []
        for fd, buf in zip((1, 2), self.bufs):
            r, w = os.pipe()
            self.saved.append(os.dup(fd))
            os.dup2(w, fd)
            os.close(w)
            t = threading.Thread(target=self._pump, args=(r, buf), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    @staticmethod
    def _pump(r, buf):
        with os.fdopen(r, "rb", buffering=0) as f:
            for chunk in iter(lambda: f.read(65536), b""):
                buf.push(chunk)

    def __exit__(self, *exc):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        for fd, saved in zip((1, 2), self.saved):
            os.dup2(saved, fd)
            os.close(saved)
        # Something the function started may still hold the pipe: then it counts as stray.
        self.stray = False
        for t in self.threads:
            t.join(DRAIN_S)
            self.stray = self.stray or t.is_alive()
        return False


def run_in_process(loaded, req):
    module, invoker, load_error = loaded
    os.environ.clear()
    os.environ.update(BASE_ENV)
    os.environ.update(req.get("env") or {})
    before = oom_kills()
    exit_code, envelope = 0, None
    with FdCapture(req.get("stdoutCap", 1 << 20), req.get("stderrCap", 1 << 20)) as cap:
        try:
            if load_error:
                raise load_error[0]
            envelope = module.ok_envelope(invoker(module._payload(), module.Context(os.environ, time.monotonic())))
        except SystemExit as e:
            # The function exited on its own: no result, its exit status speaks (as on the cold path).
            exit_code = e.code if isinstance(e.code, int) else 1
        except BaseException as e:  # noqa: BLE001 - everything the function raises is its error
            stack = load_error[1] if load_error else traceback.format_exc()
            if not isinstance(e, module.FunctionFailure):
                sys.stderr.write(stack)
            exit_code, envelope = 1, module.error_envelope(e, stack)
    after = oom_kills()
    out, err = cap.bufs
    reply = {
        "exitCode": exit_code,
        "stdoutDropped": out.dropped, "stderrDropped": err.dropped,
        "oomKilled": before is not None and after is not None and after > before,
        "stray": cap.stray or exit_code != 0 or load_error is not None,
    }
    if envelope is not None:
        reply["envelope"] = envelope
    return reply


def listen():
    try:
        os.unlink(SOCKET)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0)  # the worker may run as another uid than this container
    try:
        srv.bind(SOCKET)
    finally:
        os.umask(old)
    srv.listen(1)
    srv.settimeout(ACCEPT_TIMEOUT_S)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        sys.stderr.write("caisson: no worker connected within %ss; exiting\n" % ACCEPT_TIMEOUT_S)
        sys.exit(3)
    # One connection only: nothing the function starts can reach the server afterwards.
    srv.close()
    os.unlink(SOCKET)
    conn.settimeout(None)
    return conn


def main():
    global _conn
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    loaded = load_in_process()
    conn = _conn = listen()
    send({"ready": True, "mode": "in-process" if loaded else "process", "pid": os.getpid()})
    for line in conn.makefile("rb"):
        req = json.loads(line)
        send(run_in_process(loaded, req) if loaded else run_process(req))
    # EOF: the worker is gone; a warm container never outlives it.


main()
