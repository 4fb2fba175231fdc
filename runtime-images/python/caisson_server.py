"""Caisson warm runtime server for Python: one per warm container, serving one function
version, one invocation at a time, over a unix socket in the bind-mounted /caisson/sock.

Protocol: src/runtime/warm-protocol.ts states it (one JSON object per line). The server
listens, takes the worker's connection (one only) and only then loads the function, says
{"ready": true, "mode": ...}; each request {"env", "payload", "stdoutCap", "stderrCap",
"resultCap"} is answered by output frames {"fd": 1|2, "b64": ...} as the function writes
(capped), so a container killed at its deadline has still delivered its output so far, then
the reply {"exitCode", "stdoutDropped", "stderrDropped", "oomKilled", "stray"?,
"envelopeB64"? | "resultTooLarge"? | "resultUnreadable"?}. /caisson/io is this container's own
tmpfs: the server empties it and writes payload.json there before each request, and reads
result.json after it, so the function sees exactly what the cold path gives it.

After every script-convention invocation every other process of the container is killed
(kill(-1)): nothing a script leaves running, even a setsid daemon, reaches the next one.

Modes: functions of the handler, lambda, openwhisk and openfaas conventions run in this
process: /caisson/lib/caisson_handler.py (the cold path's convention dispatch) loads the
function once and is called per invocation. Script-convention functions run in a child
process per invocation ("mode": "process"), made one of two ways (hello "child"):

- "fork" (the default): this server os.fork()s and the child becomes what
  `python3 /app/function/<entry>` started by /caisson/bin/run would be, without starting an
  interpreter (~30 ms saved per invocation). The child is forked ahead, after the previous
  reply (a standby), does the set-up below and compiles the script, then waits on a pipe
  for its request: only the request's part is left on the invocation's path. The entry is
  resolved as the wrapper does (same error, exit 127). The child calls setsid(), restores a fresh interpreter's signal
  dispositions (this server's SIGTERM handler goes), closes the worker's socket, takes the
  wrapper's environment (this container's plus the request's, PWD=/tmp as its sh exports
  it; os.environ replaced), cwd /tmp, stdin payload.json (else /dev/null), fds 1 and 2 on
  pipes this server reads, new sys.stdin/stdout/stderr made as python3 makes them for
  pipes, the script's sys.argv, sys.orig_argv and sys.path[0], and a new __main__ module
  (__file__, a SourceFileLoader, the builtins module). It then leaves the server's loop
  (main() returns to this file's top level) and compiles and execs the script in that
  module, as python3 does. Not runpy.run_path: it puts the server's __main__ back into
  sys.modules when the body ends, where atexit handlers and still running threads would
  find it. Exit as python3's: SystemExit's status (None: 0, an int, anything else printed
  and 1); an uncaught exception printed through sys.excepthook without this file's frames,
  status 1 (a KeyboardInterrupt: death by SIGINT); non-daemon threads joined, atexit
  handlers run, sys.stdout/stderr and files left open in the script's globals flushed, then
  os._exit: no other object is finalised at exit (no __del__).
- "exec" (CAISSON_WARM_MODE=process, or whatever the fork path would not mirror exactly: a
  missing, unreadable, compiled or zip entry, a request that changes PYTHON*/LANG/LC_*
  variables, a thread running in the server): /caisson/bin/run as a child, the very
  wrapper a cold container runs.

Why forking carries no state from one invocation to the next: every child is forked from
this server, which never runs function code and has no other thread when it forks (it
checks; else "exec"), and no child ever returns into the server's loop. So no invocation
sees the module state, environment, cwd, signal handlers or imports of an earlier one, nor
processes it left (killed with its process group). What a child can see of the server,
plainly: the modules this file imported are already in sys.modules (json, socket,
subprocess, selectors, threading, traceback, ...; a fresh python3 imports them on first
use); this file's code and globals, through gc or the frames below the script's (this
file's top level and run_script); nothing secret there: the worker's socket is closed in
the child and the server holds no credentials. Also the server's hash seed: str hashes,
hence set order, are the same in every invocation of one container, where python3 draws a
new seed per run. And memory the server freed may still hold bytes of earlier requests of
the same function version (env, small payloads, output) for code that reads raw memory.
Files under /tmp persist for every convention, as documented.

The worker's connection is the lease: when it closes (the worker stopped or died) this
server exits, and with it the container. Only one connection is ever accepted.
"""
import atexit
import base64
import builtins
import errno
import io
import json
import os
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import traceback
import types
import zipimport
from importlib.machinery import SourceFileLoader
from importlib.util import MAGIC_NUMBER

IO_DIR = "/caisson/io"
SOCKET = "/caisson/sock/warm.sock"
PAYLOAD = IO_DIR + "/payload.json"
RESULT = IO_DIR + "/result.json"
FUNCTION_DIR = "/app/function"
HANDLER_MODULE = "/caisson/lib/caisson_handler.py"
ACCEPT_TIMEOUT_S = 60
DRAIN_S = 0.2
BASE_ENV = dict(os.environ)
# What a fresh interpreter has, taken before main() changes anything: signal dispositions
# (SIGINT raises KeyboardInterrupt, SIGPIPE and SIGXFSZ ignored, the rest default), the
# codecs of its standard streams, sys.path[0] (this file's directory, unless -P).
FRESH_SIGNALS = {s: h for s in signal.valid_signals() if (h := signal.getsignal(s)) is not None}
STDIO_CODECS = [(f.encoding, f.errors) if f is not None else ("utf-8", errors)
                for f, errors in ((sys.__stdin__, "strict"), (sys.__stdout__, "strict"), (sys.__stderr__, "backslashreplace"))]
BUFFERED_STDIO = not (sys.__stdout__.write_through if sys.__stdout__ is not None else os.environ.get("PYTHONUNBUFFERED"))
SERVER_PATH0 = None if sys.flags.safe_path or not sys.path else sys.path[0]


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


def pump(pipes, exited):
    """Streams a child's stdout/stderr pipes (fd, Capped) until both close. After the child
    exits (exited() is true), stray descendants may hold them: drain briefly, then stop.
    True when a pipe was still held (stray)."""
    sel = selectors.DefaultSelector()
    for fd, capped in pipes:
        sel.register(fd, selectors.EVENT_READ, capped)
    exited_at = None
    try:
        while sel.get_map():
            if exited_at is None and exited():
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > DRAIN_S:
                break
            for key, _ in sel.select(timeout=0.05):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.push(chunk)
                else:
                    sel.unregister(key.fd)
        return bool(sel.get_map())
    finally:
        sel.close()


def process_reply(pid, code, out, err, before, result_cap):
    """The reply for a finished child (code as Popen gives it: -N for signal N)."""
    kill_others()  # whatever the function left running, in its process group or not
    after = oom_kills()
    return {
        "exitCode": 128 - code if code < 0 else code & 0xFF,
        "stdoutDropped": out.dropped, "stderrDropped": err.dropped,
        "oomKilled": before is not None and after is not None and after > before,
        **result_fields(read_result(result_cap), result_cap),
    }


def kill_others():
    """SIGKILL to every process of this container but this server and PID 1 (kill(-1) spares
    both), then reaps this server's own children. A standby child dies too: it is let go."""
    global _standby
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    if _standby is not None and not isinstance(_standby, Script):
        discard(_standby)
        _standby = None
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def stage(req):
    """/caisson/io as the cold path has it: emptied of what earlier invocations left, then the payload."""
    for name in os.listdir(IO_DIR):
        path = os.path.join(IO_DIR, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass
    payload = req.get("payload")
    if isinstance(payload, str):
        with open(PAYLOAD, "w", encoding="utf-8") as f:
            f.write(payload)


def read_result(cap):
    """result.json as the worker would read it: a regular file, not a link, at most cap bytes.
    (text or None, size over the cap or None, why it is unreadable or None)."""
    try:
        fd = os.open(RESULT, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None, None
    except OSError as e:
        return None, None, "result.json is a symbolic link" if e.errno == errno.ELOOP else str(e)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, None, "result.json is not a regular file"
        if st.st_size > cap:
            return None, st.st_size, None
        return os.read(fd, st.st_size + 1)[:cap], None, None
    finally:
        os.close(fd)


def result_fields(result, cap):
    """The reply's part for the result: base64 of the envelope, or why there is none."""
    data, too_large, unreadable = result
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data is not None and len(data) > cap:
        data, too_large = None, len(data)
    if data is not None:
        return {"envelopeB64": base64.b64encode(data).decode("ascii")}
    if too_large is not None:
        return {"resultTooLarge": too_large}
    if unreadable is not None:
        return {"resultUnreadable": unreadable}
    return {}


def run_process(req):
    """The cold path's wrapper as a child: its exit code, capped output, OOM kills."""
    env = dict(BASE_ENV)
    env.update(req.get("env") or {})
    out, err = Capped(1, req.get("stdoutCap", 1 << 20)), Capped(2, req.get("stderrCap", 1 << 20))
    before = oom_kills()
    proc = subprocess.Popen(["/caisson/bin/run"], env=env, cwd="/tmp", stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    stray = pump([(proc.stdout.fileno(), out), (proc.stderr.fileno(), err)], lambda: proc.poll() is not None)
    code = proc.wait()
    reply = process_reply(proc.pid, code, out, err, before, req.get("resultCap", 6 << 20))
    for f in (proc.stdout, proc.stderr):
        f.close()
    return {**reply, "stray": stray}


# ---- Script convention, fork path (see the module docstring) ----

class Script:
    """run_fork's answer in the forked child: the script to become, at this file's top level."""

    def __init__(self, path, code=None):
        self.path, self.code = path, code


def startup_env(env):
    """The variables python3 reads at start-up: a fork cannot apply a change to them."""
    return {k: v for k, v in env.items() if k.startswith(("PYTHON", "LC_")) or k == "LANG"}


def script_entry(env):
    """The entry file as /caisson/bin/run resolves it, or None (there is none). Sets
    CAISSON_ENTRY in env when the wrapper's sh would export the default it picked."""
    entry = env.get("CAISSON_ENTRY") or ""
    if entry:
        return entry
    for name in ("main.py", "handler.py", "function.py"):
        if os.path.isfile(FUNCTION_DIR + "/" + name):
            entry = name
            break
    else:
        try:  # sh's /app/function/*.py: no dot files
            found = [n for n in os.listdir(FUNCTION_DIR) if n.endswith(".py") and not n.startswith(".")]
        except OSError:
            found = []
        if len(found) != 1 or not os.path.isfile(FUNCTION_DIR + "/" + found[0]):
            return None
        entry = found[0]
    if "CAISSON_ENTRY" in env:  # an exported variable the wrapper assigned to
        env["CAISSON_ENTRY"] = entry
    return entry


def plain_source(path):
    """True when python3 would run path as a source file; anything else (missing,
    unreadable, a directory, a .pyc, a zip) is left to python3 itself, through the wrapper."""
    if path.endswith(".pyc"):
        return False
    try:
        with open(path, "rb") as f:
            if f.read(2) == MAGIC_NUMBER[:2]:
                return False
        zipimport.zipimporter(path)
    except zipimport.ZipImportError:
        return True
    except (OSError, ValueError):
        return False
    return False  # a zip archive: python3 runs its __main__.py


NO_ENTRY = ("caisson: no entry file in /app/function (main.py, handler.py, function.py or a single .py); "
            "set CAISSON_ENTRY\n")


class Standby:
    """A child forked ahead of the next request, waiting for it on a pipe (see prefork)."""

    def __init__(self, pid, go, out_r, err_r):
        self.pid, self.go, self.out_r, self.err_r = pid, go, out_r, err_r


_standby = None


def prefork():
    """Forks the next invocation's child before its request: the fork, the child's process
    set-up and the script's compilation then leave the invocation's path (measured in the
    container: ~5.5 ms -> ~1 ms per invocation of the hello script). The child waits for its
    request on a pipe; EOF there (the server gone) ends it. In the server: a Standby, or None
    when forking is not safe now (another thread runs). In the child: the Script to become,
    once its request came."""
    if threading.active_count() != 1:
        return None
    (out_r, out_w), (err_r, err_w), (go_r, go_w) = os.pipe(), os.pipe(), os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing of the server's may be written twice
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    pid = os.fork()
    if pid == 0:
        for fd in (out_r, err_r, go_w):
            os.close(fd)
        return standby_child(go_r, out_w, err_w)
    for fd in (go_r, out_w, err_w):
        os.close(fd)
    return Standby(pid, go_w, out_r, err_r)


def discard(standby):
    """Ends a standby child that will not be used (its request pipe closes: it exits)."""
    os.close(standby.go)
    for fd in (standby.out_r, standby.err_r):
        os.close(fd)
    os.waitpid(standby.pid, 0)


def run_fork(req):
    """The script in a forked child (the standby, else one forked now); the reply exactly as
    run_process gives it. In the child this returns a Script (main() hands it to the top
    level), never a reply."""
    global _standby
    env = dict(BASE_ENV)
    env.update(req.get("env") or {})
    if startup_env(env) != startup_env(BASE_ENV):
        return run_process(req)
    entry = script_entry(env)
    path = entry and FUNCTION_DIR + "/" + entry
    if path and not plain_source(path):
        return run_process(req)
    env["PWD"] = "/tmp"  # the wrapper's sh exports it
    try:  # the child opens it again; a payload the wrapper's sh could not read is its to report
        os.close(os.open(PAYLOAD if os.path.isfile(PAYLOAD) else os.devnull, os.O_RDONLY))
    except OSError:
        return run_process(req)
    child, _standby = _standby or prefork(), None
    if child is None:
        return run_process(req)  # another thread runs in the server: no fork
    if isinstance(child, Script):
        return child
    out, err = Capped(1, req.get("stdoutCap", 1 << 20)), Capped(2, req.get("stderrCap", 1 << 20))
    before = oom_kills()
    try:
        os.write(child.go, (json.dumps({"env": env, "path": path}) + "\n").encode())
    except OSError:  # the standby died before its request (its set-up failed): it reports why
        pass
    os.close(child.go)
    status = []

    def exited():
        if not status:
            done, st = os.waitpid(child.pid, os.WNOHANG)
            if done:
                status.append(st)
        return bool(status)

    try:
        stray = pump([(child.out_r, out), (child.err_r, err)], exited)
    finally:
        os.close(child.out_r)
        os.close(child.err_r)
    code = os.waitstatus_to_exitcode(status[0] if status else os.waitpid(child.pid, 0)[1])
    return {**process_reply(child.pid, code, out, err, before, req.get("resultCap", 6 << 20)), "stray": stray}


def standby_child(go, out_w, err_w):
    """In the forked child: readies what python3 would be when the wrapper execs the script,
    waits for the request, applies it, and returns the Script. Any failure here is the
    server's, not the function's: exit 70. EOF instead of a request: exit 0, unused."""
    try:
        os.setsid()  # its own process group: process_reply kills what it leaves running
        for sig, handler in FRESH_SIGNALS.items():
            if signal.getsignal(sig) != handler:
                signal.signal(sig, handler)
        os.close(_conn.detach())  # the worker's connection is the server's alone
        for fd, target in ((out_w, 1), (err_w, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir("/tmp")
        fresh_stdio()  # on fds 0-2; fd 0 becomes the payload below (nothing is read before)
        likely = script_entry(dict(BASE_ENV))
        compiled = precompile(likely and FUNCTION_DIR + "/" + likely)
        request = b""
        while not request.endswith(b"\n"):
            chunk = os.read(go, 1 << 20)
            if not chunk:
                os._exit(0)
            request += chunk
        os.close(go)
        req = json.loads(request)
        path, env = req["path"], req["env"]
        stdin = os.open(PAYLOAD if os.path.isfile(PAYLOAD) else os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        os.environ.clear()
        os.environ.update(env)
        if path is None:
            os.write(2, NO_ENTRY.encode())
            os._exit(127)
        sys.argv = [path]
        sys.orig_argv = [sys.orig_argv[0] if sys.orig_argv else "python3", path]
        if SERVER_PATH0 is not None:
            sys.path_importer_cache.pop(SERVER_PATH0, None)
            sys.path[0] = os.path.dirname(os.path.realpath(path))
        return Script(path, compiled[1] if compiled and compiled[0] == path else None)
    except BaseException:  # noqa: BLE001
        try:
            os.write(2, ("caisson: preparing the script's process failed\n" + traceback.format_exc()).encode())
        finally:
            os._exit(70)


def precompile(path):
    """(path, code) of the script as python3 compiles it, or None (no entry, or it does not
    compile: run_script then compiles it again and reports the error as python3 does)."""
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            return path, compile(f.read(), path, "exec", dont_inherit=True)
    except BaseException:  # noqa: BLE001
        return None


def fresh_stdio():
    """sys.stdin/stdout/stderr on fds 0-2 as a fresh interpreter makes them (pipes, no tty):
    block-buffered stdout, line-buffered stderr; -u / PYTHONUNBUFFERED: unbuffered writes."""
    buffered = BUFFERED_STDIO
    streams = []
    for fd, (encoding, errors) in enumerate(STDIO_CODECS):
        write = fd > 0
        buf = io.open(fd, "wb" if write else "rb", -1 if buffered or not write else 0, closefd=False)
        raw = getattr(buf, "raw", buf)
        raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
        stream = io.TextIOWrapper(buf, encoding, errors, "\n", buffered and (raw.isatty() or fd == 2), not buffered)
        stream.mode = "w" if write else "r"
        streams.append(stream)
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


def run_script(path, compiled=None):
    """In the forked child, at this file's top level: what python3 does with a script file
    (compiled ahead when the standby could), then its exit work (finish). Never returns."""
    atexit._clear()  # the server registers none; a fresh interpreter has none
    main = types.ModuleType("__main__")
    main.__dict__.update(__loader__=SourceFileLoader("__main__", path), __annotations__={},
                         __builtins__=builtins, __file__=path, __cached__=None)
    sys.modules["__main__"] = main
    code, interrupted = 0, False
    try:
        if compiled is None:
            with open(path, "rb") as f:
                compiled = compile(f.read(), path, "exec", dont_inherit=True)
        exec(compiled, main.__dict__)
    except SystemExit as e:
        code = exit_status(e)
    except BaseException as e:  # noqa: BLE001 - what the interpreter would print, then exit 1
        print_uncaught(e)
        code, interrupted = 1, isinstance(e, KeyboardInterrupt)
    finish(code, main, interrupted)


def exit_status(e):
    """python3's exit status for an uncaught SystemExit (a code that is not an int is printed)."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(1 << 63) <= code < (1 << 63) else 255
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:  # noqa: BLE001
        pass
    return 1


def finish(code, main, interrupted):
    """python3's exit work that a script can tell: non-daemon threads joined, atexit handlers,
    sys.stdout/stderr flushed (a failure: status 120), files left open in the script's
    globals flushed; then os._exit, which finalises no other object (no __del__ at exit).
    After an uncaught KeyboardInterrupt python3 kills itself with SIGINT, so does this."""
    try:
        try:
            threading._shutdown()
        except BaseException:  # noqa: BLE001 - e.g. a KeyboardInterrupt while joining
            traceback.print_exc()
        atexit._run_exitfuncs()
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name, None)
            try:
                if stream is not None and not getattr(stream, "closed", False):
                    stream.flush()
            except Exception as e:  # noqa: BLE001
                code = 120
                if name == "stdout":
                    try:
                        sys.stderr.write("Exception ignored in: %r\n" % (stream,))
                        traceback.print_exception(e)
                    except Exception:  # noqa: BLE001
                        pass
        for value in list(main.__dict__.values()):  # python3 would close them as it tears down
            if isinstance(value, io.IOBase):
                try:
                    if not value.closed and value.writable():
                        value.flush()
                except Exception:  # noqa: BLE001
                    pass
        if interrupted:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        os._exit(code)


def print_uncaught(e):
    """As the interpreter reports an uncaught exception: sys.excepthook, without this file's frames."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    e.__traceback__ = tb  # a SyntaxError of the script itself: no frames, no "Traceback" line
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    hook = getattr(sys, "excepthook", None)
    if hook is None:
        sys.__stderr__.write("sys.excepthook is missing\n")
        sys.__excepthook__(type(e), e, tb)
        return
    try:
        hook(type(e), e, tb)
    except BaseException as hook_error:  # noqa: BLE001
        stderr = getattr(sys, "stderr", None) or sys.__stderr__
        stderr.write("Error in sys.excepthook:\n")
        sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
        stderr.write("\nOriginal exception was:\n")
        sys.__excepthook__(type(e), e, tb)


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
    try:
        # As caisson_handler.main() does on the cold path: each line reaches the worker when it is
        # printed, so the lines before a timeout or an OOM kill are kept.
        sys.stdout.reconfigure(line_buffering=True)
    except Exception:  # noqa: BLE001 - a replaced stdout keeps its own buffering
        pass
    import caisson_handler  # noqa: the convention dispatch of the cold path, reused as is
    sys.path.remove(os.path.dirname(HANDLER_MODULE))
    convention = os.environ["CAISSON_CONVENTION"]
    try:
        return caisson_handler, caisson_handler.load(convention, os.environ.get("CAISSON_ENTRY") or "main"), None
    except SystemExit as e:  # exited while loading: every invocation reports the init failure
        return caisson_handler, None, (caisson_handler.init_exit_failure(convention, e.code), "")
    except BaseException as e:  # noqa: BLE001 - the function's import error is its own failure
        return caisson_handler, None, (e, caisson_handler.user_stack(e))


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
            stack = load_error[1] if load_error else module.user_stack(e)
            if not isinstance(e, module.FunctionFailure):
                sys.stderr.write(stack)
            exit_code, envelope = 1, module.error_envelope(e, stack)
    after = oom_kills()
    out, err = cap.bufs
    return {
        "exitCode": exit_code & 0xFF,
        "stdoutDropped": out.dropped, "stderrDropped": err.dropped,
        "oomKilled": before is not None and after is not None and after > before,
        "stray": cap.stray or exit_code != 0 or load_error is not None,
        **result_fields((envelope, None, None), req.get("resultCap", 6 << 20)),
    }


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
    try:
        os.unlink(SOCKET)  # the worker unlinks it too, and makes the dir unwritable
    except OSError:
        pass
    conn.settimeout(None)
    return conn


def await_specialisation(conn):
    """A generic container (CAISSON_WARM_GENERIC=1: started before any function version claimed
    it) says so, loads nothing, and takes its version's environment from the worker's first line,
    once; the worker has put the version's code in /app/function by then. Afterwards this server
    is exactly that version's, as if it had been started with that environment."""
    send({"ready": True, "mode": "generic", "pid": os.getpid()})
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit(0)  # the worker is gone before it claimed this container
        line += chunk
    env = json.loads(line)["specialise"]["env"]
    for target in (os.environ, BASE_ENV):
        target.pop("CAISSON_WARM_GENERIC", None)
        target.update(env)


def main():
    """Serves the worker until its connection closes (returns None), or, in a forked child,
    returns the Script that child is to become."""
    global _conn
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Connected before any function code runs: the socket's dir is writable only until then.
    conn = _conn = listen()
    if os.environ.get("CAISSON_WARM_GENERIC") == "1":
        await_specialisation(conn)
    loaded = load_in_process()
    fork = (not loaded and os.environ.get("CAISSON_CONVENTION", "script") == "script"
            and os.environ.get("CAISSON_WARM_MODE") != "process" and hasattr(os, "fork"))
    hello = {"ready": True, "mode": "in-process" if loaded else "process", "pid": os.getpid()}
    if not loaded:
        hello["child"] = "fork" if fork else "exec"
    send(hello)
    run = (lambda req: run_in_process(loaded, req)) if loaded else run_fork if fork else run_process
    global _standby
    if fork:
        _standby = prefork()
        if isinstance(_standby, Script):
            return _standby
    for line in conn.makefile("rb"):
        req = json.loads(line)
        stage(req)
        reply = run(req)
        if isinstance(reply, Script):
            return reply  # a forked child leaves the server's loop and frames for good
        send(reply)
        if fork and _standby is None:  # the next invocation's child, while the worker is busy
            _standby = prefork()
            if isinstance(_standby, Script):
                return _standby
    if _standby is not None:
        discard(_standby)
    return None  # EOF: the worker is gone; a warm container never outlives it.


script = main()
if script is not None:
    run_script(script.path, script.code)
