// Package lambda is Caisson's stand-in for github.com/aws/aws-lambda-go/lambda: programs that
// call lambda.Start run unchanged, the handler is called once with the invocation's payload.
// The build copies it over the real module's lambda package (go.mod replace).
package lambda

import (
	"context"
	"os"

	"caisson.local/shim"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func init() {
	shim.ContextHook = func(ctx context.Context, requestID string) context.Context {
		return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
			AwsRequestID:       requestID,
			InvokedFunctionArn: "arn:caisson:function:" + os.Getenv("CAISSON_FUNCTION") + ":" + os.Getenv("CAISSON_VERSION"),
		})
	}
}

// Option is accepted and ignored (options tune the Lambda runtime API client).
type Option func(*struct{})

// Handler is the interface of aws-lambda-go's handlers.
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Start runs the handler once with the payload.
func Start(handler interface{}) { shim.Lambda(handler) }

// StartWithOptions runs the handler once with the payload.
func StartWithOptions(handler interface{}, _ ...Option) { shim.Lambda(handler) }

// StartWithContext runs the handler once with the payload.
func StartWithContext(_ context.Context, handler interface{}) { shim.Lambda(handler) }

// StartHandler runs a Handler once with the raw payload.
func StartHandler(h Handler) {
	shim.Lambda(func(ctx context.Context, raw rawJSON) (rawJSON, error) {
		out, err := h.Invoke(ctx, raw)
		return rawJSON(out), err
	})
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }
