package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

var (
	contextType = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType   = reflect.TypeOf((*error)(nil)).Elem()
)

// Lambda runs an AWS Lambda Go handler once. Accepted shapes, as aws-lambda-go's:
// func(), func(TIn), func(context.Context), func(context.Context, TIn), each returning
// nothing, error, or (TOut, error).
func Lambda(handler interface{}) {
	defer Guard()
	fn := reflect.ValueOf(handler)
	if err := validateLambda(fn); err != nil {
		Fail(&Failure{"HandlerNotFound", err.Error()}, "")
	}
	t := fn.Type()
	ctx, cancel := context.WithDeadline(context.Background(), Deadline())
	defer cancel()
	var args []reflect.Value
	for i := 0; i < t.NumIn(); i++ {
		if t.In(i).Implements(contextType) && i == 0 {
			args = append(args, reflect.ValueOf(ctx))
			continue
		}
		event := reflect.New(t.In(i))
		if err := json.Unmarshal(Payload(), event.Interface()); err != nil {
			Fail(&Failure{"InvalidPayload", "the payload does not fit the handler's input type: " + err.Error()}, "")
		}
		args = append(args, event.Elem())
	}
	out := fn.Call(args)
	if n := len(out); n > 0 && !out[n-1].IsNil() {
		Fail(out[n-1].Interface().(error), "")
	}
	if len(out) == 2 {
		Succeed(out[0].Interface())
	}
	Succeed(nil)
}

func validateLambda(fn reflect.Value) error {
	if !fn.IsValid() || fn.Kind() != reflect.Func {
		return fmt.Errorf("the handler is a %v, not a function", fn.Kind())
	}
	t := fn.Type()
	if t.NumIn() > 2 {
		return fmt.Errorf("handlers take at most two arguments, but the handler takes %d", t.NumIn())
	}
	if t.NumIn() == 2 && !t.In(0).Implements(contextType) {
		return fmt.Errorf("the handler takes two arguments, but the first is not a context.Context")
	}
	switch t.NumOut() {
	case 0:
	case 1, 2:
		if !t.Out(t.NumOut() - 1).Implements(errorType) {
			return fmt.Errorf("the handler's last return value must be an error")
		}
	default:
		return fmt.Errorf("handlers return at most two values, but the handler returns %d", t.NumOut())
	}
	return nil
}
