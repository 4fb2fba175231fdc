// Command runtime-api is the AWS Lambda Runtime API inside a Caisson Go container: it listens on
// 127.0.0.1:9001 (AWS_LAMBDA_RUNTIME_API), starts the function's `bootstrap` (aws-lambda-go, or
// any custom runtime), hands it the one invocation of this cold container (payload from
// /caisson/io/payload.json) and writes what the runtime answers to /caisson/io/result.json in
// Caisson's envelope. Then it stops the runtime as Lambda does at spin-down: SIGKILL, or, when an
// extension registered (aws-lambda-go's WithEnableSIGTERM registers one), SIGTERM and SIGKILL
// 500 ms later. Standard library only, Go 1.19.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const (
	ioDir         = "/caisson/io"
	taskRoot      = "/app/function"
	listenAddr    = "127.0.0.1:9001"
	shutdownGrace = 500 * time.Millisecond // Lambda's limit with internal extensions only
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runtime-api <bootstrap> [args…]")
		os.Exit(64)
	}
	start := time.Now()
	inv := newInvocation(start)
	api, err := listen(inv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "caisson: the Lambda Runtime API cannot listen: %v\n", err)
		os.Exit(70)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Dir = taskRoot
	cmd.Env = lambdaEnv(os.Environ(), api)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the runtime and what it starts are stopped together
	if err := cmd.Start(); err != nil {
		finish(inv.initFailure("Runtime.InvalidEntrypoint", err.Error()), 1)
	}
	exited := make(chan *os.ProcessState, 1)
	go func() { _ = cmd.Wait(); exited <- cmd.ProcessState }()
	stop := &stopper{pgid: cmd.Process.Pid, inv: inv, exited: exited}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case state := <-exited:
		outcome, code := inv.afterExit(state)
		finish(outcome, code)
	case <-inv.settled:
		stop.spinDown()
		outcome, code := inv.settledOutcome()
		finish(outcome, code)
	case <-signals:
		// The worker stops the container (timeout, cancel): the runtime gets Lambda's treatment.
		stop.spinDown()
		os.Exit(143)
	}
}

// stopper ends the runtime's process group as Lambda ends an execution environment.
type stopper struct {
	pgid   int
	inv    *invocation
	exited chan *os.ProcessState
}

func (s *stopper) spinDown() {
	if s.inv.extensionCount() > 0 {
		s.inv.shutdownExtensions()
		_ = syscall.Kill(-s.pgid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(shutdownGrace):
		}
	}
	_ = syscall.Kill(-s.pgid, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(2 * time.Second):
	}
}

// finish writes result.json (atomically) when there is an envelope, and exits.
func finish(envelope []byte, code int) {
	if envelope != nil {
		tmp := ioDir + "/.result.tmp"
		if err := os.WriteFile(tmp, envelope, 0o644); err != nil || os.Rename(tmp, ioDir+"/result.json") != nil {
			fmt.Fprintf(os.Stderr, "caisson: cannot write %s/result.json; result: %s\n", ioDir, envelope)
			os.Exit(70)
		}
	}
	os.Exit(code)
}

// lambdaEnv is the function's environment plus what Lambda sets for a provided runtime.
func lambdaEnv(base []string, api string) []string {
	get := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	name, version := get("CAISSON_FUNCTION", "function"), get("CAISSON_VERSION", "1")
	set := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          api,
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": get("CAISSON_MEMORY_MB", "128"),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[" + version + "]" + get("CAISSON_INVOCATION_ID", ""),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              "/caisson/bin",
		"_HANDLER":                        get("_HANDLER", "bootstrap"),
		"TZ":                              get("TZ", ":UTC"),
	}
	env := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k := kv
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				k = kv[:i]
				break
			}
		}
		if _, overridden := set[k]; !overridden && k != "CAISSON_AWAIT_PAYLOAD" {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

func timeoutMs() int64 {
	ms, err := strconv.ParseInt(os.Getenv("CAISSON_TIMEOUT_MS"), 10, 64)
	if err != nil || ms <= 0 {
		return 60000
	}
	return ms
}

func payload() []byte {
	b, err := os.ReadFile(ioDir + "/payload.json")
	if err != nil {
		b = []byte(os.Getenv("FUNCTION_PAYLOAD"))
	}
	if len(b) == 0 {
		return []byte("{}") // as the other Lambda wrappers: an invoke without a payload is {}
	}
	return b
}

func okEnvelope(body []byte) []byte {
	result := json.RawMessage(body)
	if len(body) == 0 {
		result = json.RawMessage("null")
	} else if !json.Valid(body) {
		// Lambda passes any bytes through; a Caisson result is JSON: non-JSON text becomes a string.
		s, _ := json.Marshal(string(body))
		result = s
	}
	out, _ := json.Marshal(struct {
		Ok     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}{true, result})
	return out
}
