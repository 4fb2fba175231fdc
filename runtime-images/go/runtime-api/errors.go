package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// reportedError turns what the runtime posted to /error or /init/error (Lambda's
// {"errorMessage", "errorType", "stackTrace"}; anything else is kept as the message) into
// Caisson's error envelope. A stack trace (aws-lambda-go sends one for a panic) is also written to
// stderr in Go's traceback layout, so it is in the invocation's log and the error's stderr tail.
func reportedError(requestID, headerType string, body []byte) []byte {
	var posted map[string]interface{}
	if json.Unmarshal(body, &posted) != nil || posted == nil {
		posted = map[string]interface{}{}
		if len(body) > 0 {
			posted["errorMessage"] = string(body)
		}
	}
	errorType, _ := posted["errorType"].(string)
	if errorType == "" {
		errorType = headerType
	}
	if errorType == "" {
		errorType = "Unhandled"
	}
	message, _ := posted["errorMessage"].(string)
	trace := formatTrace(posted["stackTrace"])
	if trace != "" {
		fmt.Fprintf(os.Stderr, "%s: %s [reported to the Runtime API]\n\n%s\n", errorType, message, trace)
	}
	return envelope(errorType, message, trace, posted)
}

// errorEnvelope is an error Caisson reports for the runtime, worded as Lambda words it.
func errorEnvelope(requestID, errorType, message string) []byte {
	return envelope(errorType, message, "", map[string]interface{}{"errorType": errorType, "errorMessage": "RequestId: " + requestID + " Error: " + message})
}

func envelope(errorType, message, stack string, platform map[string]interface{}) []byte {
	out, _ := json.Marshal(map[string]interface{}{
		"ok":    false,
		"error": map[string]interface{}{"type": errorType, "message": message, "stack": stack, "platform": platform},
	})
	return out
}

// formatTrace: aws-lambda-go's frames ({"label", "path", "line"}) as a Go traceback
// (function, then a tab and file:line); strings (other runtimes' traces) one per line.
func formatTrace(v interface{}) string {
	frames, ok := v.([]interface{})
	if !ok || len(frames) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("goroutine trace:\n")
	for _, f := range frames {
		switch fr := f.(type) {
		case map[string]interface{}:
			label, _ := fr["label"].(string)
			path, _ := fr["path"].(string)
			line, _ := fr["line"].(float64)
			fmt.Fprintf(&b, "%s(...)\n\t%s:%d\n", label, path, int(line))
		case string:
			b.WriteString(fr)
			if !strings.HasSuffix(fr, "\n") {
				b.WriteString("\n")
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
