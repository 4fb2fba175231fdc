package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Lambda's response limit is 6 MB; Caisson's own result limit is checked by the worker. This only
// bounds what is held in memory.
const maxBody = 64 << 20

type state int

const (
	initializing state = iota // the runtime has not asked for the invocation yet
	invoking                  // it has the payload
	settled                   // its answer (or an init error) is in
)

// invocation is the one invocation a cold container serves, and the extensions registered for it.
type invocation struct {
	mu         sync.Mutex
	id         string
	deadline   time.Time
	state      state
	outcome    []byte // the envelope once settled
	failed     bool
	settled    chan struct{}
	extensions map[string]chan []byte // id → events it subscribed to (INVOKE, SHUTDOWN), nil when none
	subscribed map[string]map[string]bool
}

func newInvocation(start time.Time) *invocation {
	id := os.Getenv("CAISSON_INVOCATION_ID")
	if id == "" {
		id = strconv.FormatInt(start.UnixNano(), 36)
	}
	return &invocation{
		id: id, deadline: start.Add(time.Duration(timeoutMs()) * time.Millisecond),
		settled: make(chan struct{}), extensions: map[string]chan []byte{}, subscribed: map[string]map[string]bool{},
	}
}

func (inv *invocation) arn() string {
	return "arn:caisson:function:" + os.Getenv("CAISSON_FUNCTION") + ":" + os.Getenv("CAISSON_VERSION")
}

// settle records the outcome once; later answers are refused by the handlers.
func (inv *invocation) settle(envelope []byte, failed bool) {
	inv.state, inv.outcome, inv.failed = settled, envelope, failed
	close(inv.settled)
}

func (inv *invocation) settledOutcome() ([]byte, int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.failed {
		return inv.outcome, 1
	}
	return inv.outcome, 0
}

// afterExit: the runtime exited on its own. Before it asked for the invocation, that is an init
// failure (Runtime.ExitError), unless a self-reporting binary wrote result.json itself. During the
// invocation, its exit status is the container's (as with Caisson's other wrappers).
func (inv *invocation) afterExit(ps *os.ProcessState) ([]byte, int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	code, how := exitStatus(ps)
	switch inv.state {
	case settled:
		if inv.failed {
			return inv.outcome, 1
		}
		return inv.outcome, 0
	case initializing:
		if _, err := os.Stat(ioDir + "/result.json"); err == nil {
			return nil, code
		}
		if code == 0 {
			code = 1
		}
		return errorEnvelope(inv.id, "Runtime.ExitError", "Runtime exited with error: "+how), code
	default:
		if code == 0 {
			return errorEnvelope(inv.id, "Runtime.ExitError", "Runtime exited without providing a reason"), 1
		}
		return nil, code
	}
}

func (inv *invocation) initFailure(errorType, message string) []byte {
	return errorEnvelope(inv.id, errorType, message)
}

func exitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return 1, "exit status unknown"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), "signal: " + ws.Signal().String()
	}
	return ps.ExitCode(), "exit status " + strconv.Itoa(ps.ExitCode())
}

func listen(inv *invocation) (string, error) {
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", err
		}
	}
	srv := &http.Server{Handler: http.HandlerFunc(inv.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr().String(), nil
}

func (inv *invocation) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/2018-06-01/runtime/invocation/next":
		inv.next(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/2018-06-01/runtime/invocation/") && strings.HasSuffix(p, "/response"):
		inv.answer(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/2018-06-01/runtime/invocation/"), "/response"), false)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/2018-06-01/runtime/invocation/") && strings.HasSuffix(p, "/error"):
		inv.answer(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/2018-06-01/runtime/invocation/"), "/error"), true)
	case r.Method == http.MethodPost && p == "/2018-06-01/runtime/init/error":
		inv.initError(w, r)
	case r.Method == http.MethodPost && p == "/2020-01-01/extension/register":
		inv.register(w, r)
	case r.Method == http.MethodGet && p == "/2020-01-01/extension/event/next":
		inv.extensionNext(w, r)
	case r.Method == http.MethodPost && (p == "/2020-01-01/extension/init/error" || p == "/2020-01-01/extension/exit/error"):
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"status":"OK"}`))
	default:
		apiError(w, http.StatusNotFound, "InvalidRequest", fmt.Sprintf("%s %s is not part of the Lambda Runtime or Extensions API Caisson serves", r.Method, p))
	}
}

// next hands out the invocation once; asked again, the runtime is idle and waits, as on Lambda,
// for an invocation that never comes (the container is spun down instead).
func (inv *invocation) next(w http.ResponseWriter, r *http.Request) {
	inv.mu.Lock()
	if inv.state != initializing {
		inv.mu.Unlock()
		<-r.Context().Done()
		return
	}
	inv.state = invoking
	body := payload()
	for id, events := range inv.extensions {
		if inv.subscribed[id]["INVOKE"] {
			ev, _ := json.Marshal(map[string]interface{}{
				"eventType": "INVOKE", "deadlineMs": inv.deadline.UnixNano() / int64(time.Millisecond),
				"requestId": inv.id, "invokedFunctionArn": inv.arn(), "tracing": map[string]string{"type": "X-Amzn-Trace-Id", "value": traceID(inv.id)},
			})
			events <- ev
		}
	}
	inv.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixNano()/int64(time.Millisecond), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn())
	h.Set("Lambda-Runtime-Trace-Id", traceID(inv.id))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func traceID(id string) string {
	return "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + id + ";Sampled=0"
}

// answer takes the runtime's /response or /error for the invocation.
func (inv *invocation) answer(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "reading the body: "+err.Error())
		return
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if id != inv.id {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+id)
		return
	}
	if inv.state != invoking {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "the invocation already has its answer")
		return
	}
	// aws-lambda-go reports an error met while streaming the body in trailers.
	if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" && !isError {
		isError = true
		body, _ = base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
	}
	switch {
	case len(body) > maxBody:
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxBody))
		inv.settle(errorEnvelope(inv.id, "Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size"), true)
		return
	case isError:
		inv.settle(reportedError(inv.id, r.Header.Get("Lambda-Runtime-Function-Error-Type"), body), true)
	default:
		inv.settle(okEnvelope(body), false)
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (inv *invocation) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.state != initializing {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init/error after the runtime asked for an invocation")
		return
	}
	inv.settle(reportedError(inv.id, r.Header.Get("Lambda-Runtime-Function-Error-Type"), body), true)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func apiError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": message})
	_, _ = w.Write(b)
}
