package shim

import (
	"encoding/json"
	"os"
	"strconv"
	"time"
)

// OpenWhisk runs an OpenWhisk Go action once: func Main(map[string]interface{}) map[string]interface{}.
// A result holding "error" is the action's failure, as OpenWhisk treats it.
func OpenWhisk(action interface{}) {
	defer Guard()
	main, ok := action.(func(map[string]interface{}) map[string]interface{})
	if !ok {
		Fail(&Failure{"HandlerNotFound", "Main must be func(map[string]interface{}) map[string]interface{}"}, "")
	}
	os.Setenv("__OW_ACTIVATION_ID", os.Getenv("CAISSON_INVOCATION_ID"))
	os.Setenv("__OW_ACTION_NAME", "/caisson/"+os.Getenv("CAISSON_FUNCTION"))
	os.Setenv("__OW_DEADLINE", strconv.FormatInt(Deadline().UnixNano()/int64(time.Millisecond), 10))
	params := map[string]interface{}{}
	var raw interface{}
	if err := json.Unmarshal(Payload(), &raw); err != nil {
		Fail(&Failure{"InvalidPayload", "payload is not valid JSON: " + err.Error()}, "")
	}
	switch v := raw.(type) {
	case map[string]interface{}:
		params = v
	case nil:
	default:
		params["payload"] = v
	}
	result := main(params)
	if e, has := result["error"]; has {
		msg, isString := e.(string)
		if !isString {
			b, _ := json.Marshal(e)
			msg = string(b)
		}
		Fail(&Failure{"ActionError", msg}, "")
	}
	if result == nil {
		result = map[string]interface{}{}
	}
	Succeed(result)
}
