"""Caisson handler-convention wrapper for Python.

Imports CAISSON_ENTRY ("module.function", default "main.handler") from /app/function,
calls function(payload, context) and writes /caisson/io/result.json atomically:
  {"ok": true, "result": <return value>}
  {"ok": false, "error": {"type": <class name>, "message": ..., "stack": ...}}  (exit 1)
The handler's print() output and logging go to the container's stdout/stderr as logs.
"""
import sys

sys.dont_write_bytecode = True  # the code directory is read-only
# The function's directory first; drop this wrapper's own directory.
sys.path[0] = "/app/function"

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

_START = time.monotonic()
IO_DIR = "/caisson/io"


class Context:
    """invocationId, attempt, functionName, functionVersion, memoryLimitMb,
    getRemainingTimeInMillis(); snake_case aliases and ctx["key"] also work."""

    def __init__(self):
        env = os.environ
        self.invocationId = env.get("CAISSON_INVOCATION_ID", "")
        self.attempt = _int(env.get("CAISSON_ATTEMPT"), 1)
        self.functionName = env.get("CAISSON_FUNCTION", "")
        self.functionVersion = env.get("CAISSON_VERSION", "")
        self.memoryLimitMb = _int(env.get("CAISSON_MEMORY_MB"), 0)
        self._timeout_ms = _int(env.get("CAISSON_TIMEOUT_MS"), 60000)
        self.invocation_id = self.invocationId
        self.function_name = self.functionName
        self.function_version = self.functionVersion
        self.memory_limit_mb = self.memoryLimitMb

    def getRemainingTimeInMillis(self):
        elapsed = int((time.monotonic() - _START) * 1000)
        return max(0, self._timeout_ms - elapsed)

    get_remaining_time_in_millis = getRemainingTimeInMillis

    def __getitem__(self, key):
        return getattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default)

    def __repr__(self):
        return "Context(invocationId=%r, attempt=%r, functionName=%r, functionVersion=%r)" % (
            self.invocationId, self.attempt, self.functionName, self.functionVersion)


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class _Failure(Exception):
    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_


def _payload():
    path = os.path.join(IO_DIR, "payload.json")
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        text = os.environ.get("FUNCTION_PAYLOAD")
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise _Failure("InvalidPayload", "payload is not valid JSON: %s" % e)


def _handler():
    entry = os.environ.get("CAISSON_ENTRY") or "main.handler"
    module_name, _, func_name = entry.rpartition(".")
    if not module_name or not func_name:
        raise _Failure("HandlerNotFound", "CAISSON_ENTRY must be 'module.function', got %r" % entry)
    if module_name.endswith(".py"):
        module_name = module_name[:-3]
    import importlib
    module = importlib.import_module(module_name.replace("/", "."))
    func = getattr(module, func_name, None)
    if not callable(func):
        raise _Failure("HandlerNotFound", "%s has no function %r" % (module_name, func_name))
    return func


def _write(envelope):
    tmp = os.path.join(IO_DIR, ".result.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(envelope)
    os.rename(tmp, os.path.join(IO_DIR, "result.json"))


def main():
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except Exception:
        pass
    try:
        payload = _payload()
        func = _handler()
        result = func(payload, Context())
        if hasattr(result, "__await__"):
            import asyncio

            async def _await(aw):
                return await aw

            result = asyncio.run(_await(result))
        try:
            envelope = json.dumps({"ok": True, "result": result}, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError) as e:
            raise _Failure("InvalidOutput", "the handler's return value is not JSON-serialisable: %s" % e)
        code = 0
    except BaseException as e:  # noqa: BLE001 - everything the handler raises is the function's error
        stack = traceback.format_exc()
        err_type = e.type if isinstance(e, _Failure) else type(e).__name__
        if not isinstance(e, _Failure):
            sys.stderr.write(stack)
        envelope = json.dumps(
            {"ok": False, "error": {"type": err_type, "message": str(e), "stack": stack}},
            ensure_ascii=False, default=str)
        code = 1
    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        _write(envelope)
    except OSError as e:
        sys.stderr.write("caisson: cannot write %s/result.json (%s); result: %s\n" % (IO_DIR, e, envelope))
        code = 70
    sys.exit(code)


main()
