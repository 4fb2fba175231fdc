"""Caisson convention dispatch for Python: handler, lambda, openwhisk, openfaas.

Importable (the warm runtime server reuses it):
    load(convention, entry) -> invoker(payload, context) -> result | raise
    invoke(payload, context=None)   # CAISSON_CONVENTION / CAISSON_ENTRY from the environment
    Context()                       # Caisson + AWS Lambda context fields
    ok_envelope(result) / error_envelope(exc, stack) -> JSON text of result.json
Run as a script (the cold path), it reads /caisson/io/payload.json, calls the function once
and writes /caisson/io/result.json atomically:
  {"ok": true, "result": <value>}
  {"ok": false, "error": {"type": ..., "message": ..., "stack": ...}}   (exit 1)
print() / logging of the function go to the container's stdout/stderr as logs.
"""
import sys

sys.dont_write_bytecode = True  # the code directory is read-only

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

FN_DIR = "/app/function"
IO_DIR = "/caisson/io"
_START = time.monotonic()
# Default function per convention when the entry names only a module.
DEFAULT_FUNCTION = {"handler": "handler", "lambda": "lambda_handler", "openwhisk": "main", "openfaas": "handle"}


class FunctionFailure(Exception):
    """An error the function reported without raising (OpenWhisk's {"error": …}) or a wrapper error."""

    def __init__(self, type_, message):
        super().__init__(message)
        self.type = type_


class Context:
    """Caisson's fields (invocationId, attempt, functionName, functionVersion, memoryLimitMb,
    getRemainingTimeInMillis()) with snake_case aliases and ctx["key"], plus AWS Lambda's
    (aws_request_id, function_name, function_version, invoked_function_arn,
    memory_limit_in_mb, log_group_name, log_stream_name, get_remaining_time_in_millis())."""

    def __init__(self, env=None, start=None):
        env = os.environ if env is None else env
        self._start = _START if start is None else start
        self.invocationId = env.get("CAISSON_INVOCATION_ID", "")
        self.attempt = _int(env.get("CAISSON_ATTEMPT"), 1)
        self.functionName = env.get("CAISSON_FUNCTION", "")
        self.functionVersion = env.get("CAISSON_VERSION", "")
        self.memoryLimitMb = _int(env.get("CAISSON_MEMORY_MB"), 0)
        self._timeout_ms = _int(env.get("CAISSON_TIMEOUT_MS"), 60000)
        self.invocation_id = self.aws_request_id = self.invocationId
        self.function_name = self.functionName
        self.function_version = self.functionVersion
        self.memory_limit_mb = self.memoryLimitMb
        self.memory_limit_in_mb = str(self.memoryLimitMb)  # a string, as in AWS Lambda
        self.invoked_function_arn = "arn:caisson:function:%s:%s" % (self.functionName, self.functionVersion)
        self.log_group_name = "/caisson/%s" % self.functionName
        self.log_stream_name = self.invocationId
        self.identity = self.client_context = None

    def getRemainingTimeInMillis(self):
        return max(0, self._timeout_ms - int((time.monotonic() - self._start) * 1000))

    get_remaining_time_in_millis = getRemainingTimeInMillis

    def __getitem__(self, key):
        return getattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default)

    def __repr__(self):
        return "Context(invocationId=%r, functionName=%r, functionVersion=%r)" % (
            self.invocationId, self.functionName, self.functionVersion)


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _resolve(convention, entry):
    """entry: 'module.function', 'module', or 'module.py'; the function defaults per convention."""
    entry = entry or ""
    if entry.endswith(".py"):
        module_name, func_name = entry[:-3], ""
    elif "." in entry:
        module_name, _, func_name = entry.rpartition(".")
    else:
        module_name, func_name = entry, ""
    if not module_name:
        raise FunctionFailure("HandlerNotFound", "the entry must be 'module.function', got %r" % entry)
    func_name = func_name or DEFAULT_FUNCTION.get(convention, "handler")
    if FN_DIR not in sys.path:
        sys.path.insert(0, FN_DIR)
    import importlib
    import importlib.util
    if module_name == "__main__":  # OpenWhisk zip actions: __main__.py, loaded under another name
        spec = importlib.util.spec_from_file_location("__action_main__", os.path.join(FN_DIR, "__main__.py"))
        if spec is None or not os.path.exists(spec.origin or ""):
            raise FunctionFailure("HandlerNotFound", "no __main__.py in %s" % FN_DIR)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name.replace("/", "."))
    func = getattr(module, func_name, None)
    if not callable(func):
        raise FunctionFailure("HandlerNotFound", "%s has no function %r" % (module_name, func_name))
    return func


def _await(result):
    if hasattr(result, "__await__"):
        import asyncio

        async def wait(aw):
            return await aw

        return asyncio.run(wait(result))
    return result


def init_exit_failure(convention, code):
    """The failure of a function that exited while its module loaded, as its platform words it."""
    code = code if isinstance(code, int) else 1
    if convention == "lambda":
        return FunctionFailure("Runtime.ExitError", "Runtime exited with error: exit status %d" % code)
    if convention == "openwhisk":
        return FunctionFailure("InitError", "The action did not initialize and exited unexpectedly (exit status %d)." % code)
    return FunctionFailure("InitError", "the function exited while loading (exit status %d)" % code)


def _lambda_init_failure(e, entry):
    """Lambda's names for a module that does not load: Runtime.ImportModuleError,
    Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound; other exceptions keep their type."""
    module = entry.rpartition(".")[0] or entry
    if isinstance(e, SyntaxError):
        return FunctionFailure("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module, e))
    if isinstance(e, ImportError):
        return FunctionFailure("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module, e))
    if isinstance(e, FunctionFailure) and e.type == "HandlerNotFound":
        return FunctionFailure("Runtime.HandlerNotFound", str(e))
    return e


def load(convention, entry):
    """Imports the function once and returns invoker(payload, context) -> result (raises on error;
    a SystemExit while the module loads is re-raised for the caller: see init_exit_failure)."""
    if convention == "lambda":
        lambda_logging()  # before the import: the module's own logging set-up sees it, as on Lambda
        try:
            func = _resolve(convention, entry)
        except (SyntaxError, ImportError, FunctionFailure) as e:
            raise _lambda_init_failure(e, entry) from e
    else:
        func = _resolve(convention, entry)
    if convention == "handler":
        return lambda payload, context: _await(func(payload, context))
    if convention == "lambda":
        # An invoke without a payload reaches a Lambda handler as {} (what the console and CLI send).
        return lambda payload, context: _await(func({} if payload is None else payload, context))
    if convention == "openwhisk":
        return lambda payload, context: _openwhisk(func, payload, context)
    if convention == "openfaas":
        return _openfaas(func)
    raise FunctionFailure("UnknownConvention", "convention %r is not served by this wrapper" % convention)


def invoke(payload, context=None):
    """Runs the function named by CAISSON_CONVENTION / CAISSON_ENTRY once."""
    convention = os.environ.get("CAISSON_CONVENTION") or "handler"
    try:
        invoker = load(convention, os.environ.get("CAISSON_ENTRY") or "main")
    except SystemExit as e:  # exited while loading: an init failure, reported as such
        raise init_exit_failure(convention, e.code) from None
    return invoker(payload, context or Context())


# --- AWS Lambda: the root logger as the Lambda Python runtime sets it up ---

LAMBDA_TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
_LOG_RECORD_FIELDS = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
                      "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
                      "thread", "threadName", "processName", "process", "taskName", "aws_request_id", "message"}


def lambda_logging():
    """One handler on the root logger, writing to stdout: `logger.info` shows once the function
    sets the level (or AWS_LAMBDA_LOG_LEVEL does), every line as `[LEVEL]\t<UTC time>Z\t<request
    id>\t<message>`, or one JSON object per record with AWS_LAMBDA_LOG_FORMAT=JSON. Idempotent."""
    import logging

    root = logging.getLogger()
    if any(getattr(h, "caisson_lambda", False) for h in root.handlers):
        return

    class RequestId(logging.Filter):
        def filter(self, record):  # read per record: the warm server changes it per invocation
            record.aws_request_id = os.environ.get("CAISSON_INVOCATION_ID", "")
            return True

    class Stdout(logging.Handler):
        caisson_lambda = True

        def emit(self, record):  # sys.stdout at emit time: the warm server swaps fd 1 per invocation
            try:
                text = self.format(record)
                # A record with a traceback ends without a newline: the next line must not join it.
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
                sys.stdout.flush()
            except Exception:  # noqa: BLE001 - logging never fails the function
                self.handleError(record)

    handler = Stdout()
    json_format = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    if json_format:
        handler.setFormatter(_lambda_json_formatter())
    else:
        formatter = logging.Formatter(LAMBDA_TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    handler.addFilter(RequestId())
    level = {"TRACE": "DEBUG"}.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper(),
                                   os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
    if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "FATAL"):
        root.setLevel(level)
    elif json_format:
        root.setLevel("INFO")  # Lambda's default application log level for JSON logs
    root.addHandler(handler)


def _lambda_json_formatter():
    """timestamp, level, message, logger, requestId; errorType, errorMessage, stackTrace and
    location for exceptions; `extra` fields as they are (the Lambda runtime's JSON fields)."""
    import logging
    from datetime import datetime, timezone

    class LambdaJsonFormatter(logging.Formatter):
        def format(self, record):
            when = datetime.fromtimestamp(record.created, tz=timezone.utc)
            out = {"timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "level": record.levelname,
                   "message": record.getMessage(), "logger": record.name,
                   "requestId": getattr(record, "aws_request_id", None)}
            if record.exc_info and record.exc_info[0] is not None:
                out["errorType"] = record.exc_info[0].__name__
                out["errorMessage"] = str(record.exc_info[1])
                out["stackTrace"] = traceback.format_tb(record.exc_info[2])
                out["location"] = "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
            for key, value in record.__dict__.items():
                if key not in _LOG_RECORD_FIELDS and not key.startswith("_") and key not in out:
                    out[key] = value
            return json.dumps({k: v for k, v in out.items() if v is not None}, ensure_ascii=False, default=str) + "\n"

    return LambdaJsonFormatter()


# --- OpenWhisk: main(args) -> dict; a result holding "error" is the action's failure ---

def _openwhisk(func, payload, context):
    os.environ["__OW_ACTIVATION_ID"] = context.invocationId
    os.environ["__OW_ACTION_NAME"] = "/caisson/%s" % context.functionName
    os.environ["__OW_DEADLINE"] = str(int(time.time() * 1000) + context.getRemainingTimeInMillis())
    result = _await(func(payload if isinstance(payload, dict) else ({} if payload is None else {"payload": payload})))
    if not isinstance(result, dict):
        raise FunctionFailure("InvalidOutput", "the action must return a dictionary, got %s" % type(result).__name__)
    if "error" in result:
        err = result["error"]
        failure = FunctionFailure("ActionError", err if isinstance(err, str) else json.dumps(err, default=str))
        failure.value = err  # OpenWhisk's own {"error": …}, as the action returned it
        raise failure
    return result


# --- OpenFaaS: classic handle(req: str) -> str, or python3-http handle(event, context) ---

HTTP_KEYS = {"body", "headers", "method", "path", "query", "isBase64Encoded"}


def _request_body(payload, headers):
    """The request body as bytes: base64 when isBase64Encoded (a binary body), else the text or
    the JSON text of a non-string body."""
    body = payload.get("body")
    if payload.get("isBase64Encoded") is True:
        if not isinstance(body, str):
            raise FunctionFailure("InvalidPayload", "isBase64Encoded needs a string body")
        import base64
        import binascii
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as e:
            raise FunctionFailure("InvalidPayload", "the body is not base64: %s" % e)
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    return (body or "").encode("utf-8", "surrogatepass")


def http_request(payload):
    """An HTTP-shaped payload ({"body", "headers", "method", "path", "query", "isBase64Encoded"},
    at least body or method) is the request; any other payload is a POST whose body is its JSON
    text. The body is bytes."""
    if isinstance(payload, dict) and payload and set(payload) <= HTTP_KEYS and ("body" in payload or "method" in payload):
        headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
        body = _request_body(payload, headers)
        query = payload.get("query") or {}
        return {"method": str(payload.get("method") or "POST").upper(), "path": str(payload.get("path") or "/"),
                "query": query if isinstance(query, dict) else {}, "headers": headers, "body": body}
    body = payload if isinstance(payload, str) else ("" if payload is None else json.dumps(payload))
    ctype = "text/plain" if isinstance(payload, str) else "application/json"
    return {"method": "POST", "path": "/", "query": {}, "headers": {"Content-Type": ctype},
            "body": body.encode("utf-8", "surrogatepass")}


def _canonical(name):
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def _set_http_env(req):
    """As the OpenFaaS watchdog does: Http_Method, Http_Path, Http_Query, Http_<Header_Name>."""
    from urllib.parse import urlencode
    os.environ["Http_Method"] = req["method"]
    os.environ["Http_Path"] = req["path"]
    os.environ["Http_Query"] = urlencode(req["query"], doseq=True)
    for k, v in req["headers"].items():
        os.environ["Http_" + _canonical(k).replace("-", "_")] = v


class _Event:
    def __init__(self, req):
        self.body = req["body"]  # bytes, as Flask's request.get_data() in python3-http
        self.headers = req["headers"]
        self.method = req["method"]
        self.query = req["query"]
        self.path = req["path"]


class _HttpContext:
    def __init__(self):
        self.hostname = os.environ.get("HOSTNAME", "localhost")


def _body_text(value):
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _answer(status, headers, body):
    """The wrapper's {statusCode, headers, body}. Bytes travel as text when they are NUL-free
    UTF-8 (NUL cannot be stored in a JSON column), else as base64 with isBase64Encoded: the
    platform answers them byte for byte either way."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            import base64
            return {"statusCode": status, "headers": headers, "body": base64.b64encode(raw).decode("ascii"), "isBase64Encoded": True}
        body = text
    return {"statusCode": status, "headers": headers, "body": _body_text(body)}


def _default_content_type(headers, body):
    """What the python3-http template's Flask server sends when the handler sets no Content-Type:
    a dict body goes through jsonify (application/json), anything else is a text/html string."""
    if not any(str(k).lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json" if isinstance(body, dict) else "text/html; charset=utf-8"


def _positional_arity(func):
    import inspect
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _classic(func, req):
    """The classic template's handle(req: str) -> str. Bytes that are not UTF-8 reach it as lone
    surrogates (surrogateescape, as Python decodes file names), so a handler that echoes or
    slices its input gives back the very bytes; it may also return bytes."""
    res = _await(func(req["body"].decode("utf-8", "surrogateescape")))
    if isinstance(res, str):
        try:
            res = res.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            pass  # another lone surrogate: JSON text carries it as it always did
    return _answer(200, {}, res)


def _openfaas(func):
    http_style = _positional_arity(func) >= 2

    def call(payload, context):
        req = http_request(payload)
        _set_http_env(req)
        if not http_style:
            return _classic(func, req)
        res = _await(func(_Event(req), _HttpContext()))
        if isinstance(res, dict) and ("statusCode" in res or "body" in res or "headers" in res):
            headers = dict(res.get("headers") or {})
            _default_content_type(headers, res.get("body"))
            return _answer(_int(res.get("statusCode"), 200), headers, res.get("body"))
        headers = {}
        _default_content_type(headers, res)
        return _answer(200, headers, res)

    return call


# --- envelopes and the one-shot main ---

def ok_envelope(result):
    """Raises FunctionFailure('InvalidOutput') when the result is not JSON."""
    try:
        return json.dumps({"ok": True, "result": result}, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as e:
        raise FunctionFailure("InvalidOutput", "the function's return value is not JSON-serialisable: %s" % e)


RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frames(exc):
    """The exception's traceback frames outside Caisson's runtime (/caisson/...), formatted."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(RUNTIME_DIR + os.sep)
              and not f.filename.startswith("/caisson/")]
    return traceback.format_list(frames)


def user_stack(exc):
    """A traceback as Python prints it, without the runtime's own frames."""
    frames = user_frames(exc)
    head = "Traceback (most recent call last):\n" if frames else ""
    return head + "".join(frames) + "".join(traceback.format_exception_only(type(exc), exc))


def platform_error(exc, err_type, convention):
    """The error as the function's own platform reports it (Lambda's error object, OpenWhisk's
    {"error": …}, the status and body OpenFaaS's python3-http server answers)."""
    if convention == "lambda":
        return {"errorMessage": str(exc), "errorType": err_type,
                "requestId": os.environ.get("CAISSON_INVOCATION_ID", ""),
                "stackTrace": [] if isinstance(exc, FunctionFailure) else user_frames(exc)}
    if convention == "openwhisk":
        if isinstance(exc, FunctionFailure) and exc.type == "ActionError":
            return {"error": getattr(exc, "value", str(exc))}
        return {"error": "An error has occurred: %s: %s" % (err_type, exc)}
    if convention == "openfaas":
        return {"statusCode": 500, "body": "Internal Server Error"}
    return None


def error_envelope(exc, stack=""):
    err_type = exc.type if isinstance(exc, FunctionFailure) else type(exc).__name__
    error = {"type": err_type, "message": str(exc), "stack": stack}
    platform = platform_error(exc, err_type, os.environ.get("CAISSON_CONVENTION") or "handler")
    if platform is not None:
        error["platform"] = platform
    return json.dumps({"ok": False, "error": error}, ensure_ascii=False, default=str)


def _payload():
    try:
        with open(os.path.join(IO_DIR, "payload.json"), "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        text = os.environ.get("FUNCTION_PAYLOAD")
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        raise FunctionFailure("InvalidPayload", "payload is not valid JSON: %s" % e)


def _write(envelope):
    tmp = os.path.join(IO_DIR, ".result.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(envelope)
    os.rename(tmp, os.path.join(IO_DIR, "result.json"))


def main():
    sys.path[0] = FN_DIR  # the function's directory first, not this wrapper's
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except Exception:
        pass
    try:
        envelope, code = ok_envelope(invoke(_payload())), 0
    except SystemExit as e:
        # The function exited on its own: no result, its exit status speaks (0 → no result written).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(e.code if isinstance(e.code, int) else 1)
    except BaseException as e:  # noqa: BLE001 - everything the function raises is its error
        stack = user_stack(e)
        if not isinstance(e, FunctionFailure):
            sys.stderr.write(stack)
        envelope, code = error_envelope(e, stack), 1
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


if __name__ == "__main__":
    main()
