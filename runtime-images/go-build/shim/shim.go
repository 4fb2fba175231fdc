// Package shim runs a Go function written for another platform's convention once, inside a
// Caisson container: payload from /caisson/io/payload.json (or FUNCTION_PAYLOAD), result to
// /caisson/io/result.json as {"ok":true,"result":…} or {"ok":false,"error":{type,message,stack}}.
// The build generates a main package that calls Lambda, OpenWhisk or OpenFaaS with the user's
// function. Standard library only: it builds offline.
package shim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strconv"
	"time"
)

const ioDir = "/caisson/io"

var start = time.Now()

// Failure is an error with an explicit type for the result envelope.
type Failure struct {
	Type    string
	Message string
}

func (f *Failure) Error() string { return f.Message }

// Payload returns the raw payload JSON ("null" when there is none).
func Payload() []byte {
	b, err := os.ReadFile(filepath.Join(ioDir, "payload.json"))
	if err != nil {
		b = []byte(os.Getenv("FUNCTION_PAYLOAD"))
	}
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// Deadline is the invocation's deadline (CAISSON_TIMEOUT_MS from the process start).
func Deadline() time.Time {
	ms, err := strconv.Atoi(os.Getenv("CAISSON_TIMEOUT_MS"))
	if err != nil || ms <= 0 {
		ms = 60000
	}
	return start.Add(time.Duration(ms) * time.Millisecond)
}

// Succeed writes the ok envelope and exits 0.
func Succeed(result interface{}) {
	out, err := json.Marshal(result)
	if err != nil {
		Fail(&Failure{"InvalidOutput", "the function's return value is not JSON-serialisable: " + err.Error()}, "")
	}
	finish(append(append([]byte(`{"ok":true,"result":`), out...), '}'), 0)
}

// Fail writes the error envelope and exits 1.
func Fail(err error, stack string) {
	errorObject := map[string]interface{}{"type": ErrorType(err), "message": err.Error(), "stack": stack}
	if os.Getenv("CAISSON_CONVENTION") == "lambda" {
		// What aws-lambda-go posts to the Runtime API, so Lambda's caller sees it.
		errorObject["platform"] = map[string]string{"errorMessage": err.Error(), "errorType": ErrorType(err)}
	}
	env := map[string]interface{}{"ok": false, "error": errorObject}
	out, _ := json.Marshal(env)
	fmt.Fprintf(os.Stderr, "%s: %s\n", ErrorType(err), err.Error())
	finish(out, 1)
}

// ErrorType names an error the way aws-lambda-go does: its type name without the pointer.
func ErrorType(err error) string {
	if f, ok := err.(*Failure); ok {
		return f.Type
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

// Guard turns a panic of the function into a failure with its stack; the goroutine trace also
// goes to stderr, as an unrecovered panic's would, so it is in the log and the stderr tail.
func Guard() {
	if r := recover(); r != nil {
		stack := string(debug.Stack())
		fmt.Fprintf(os.Stderr, "panic: %v [recovered]\n\n%s\n", r, stack)
		err, ok := r.(error)
		if !ok {
			err = &Failure{"Panic", fmt.Sprint(r)}
		}
		Fail(err, stack)
	}
}

func finish(envelope []byte, code int) {
	tmp := filepath.Join(ioDir, ".result.tmp")
	if err := os.WriteFile(tmp, envelope, 0o644); err == nil {
		err = os.Rename(tmp, filepath.Join(ioDir, "result.json"))
		if err == nil {
			os.Exit(code)
		}
	}
	fmt.Fprintf(os.Stderr, "caisson: cannot write %s/result.json; result: %s\n", ioDir, envelope)
	os.Exit(70)
}
