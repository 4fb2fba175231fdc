package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// The Extensions API, as far as in-process extensions use it: aws-lambda-go's WithEnableSIGTERM
// registers one so that Lambda sends SIGTERM before SIGKILL at spin-down.

func (inv *invocation) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Events []string `json:"events"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req)
	inv.mu.Lock()
	id := fmt.Sprintf("%08x-caisson-ext-%d", time.Now().UnixNano()&0xffffffff, len(inv.extensions)+1)
	inv.extensions[id] = make(chan []byte, 4)
	inv.subscribed[id] = map[string]bool{}
	for _, e := range req.Events {
		inv.subscribed[id][e] = true
	}
	inv.mu.Unlock()
	w.Header().Set("Lambda-Extension-Identifier", id)
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]string{
		"functionName": os.Getenv("CAISSON_FUNCTION"), "functionVersion": os.Getenv("CAISSON_VERSION"), "handler": "bootstrap",
	})
	_, _ = w.Write(b)
}

// extensionNext delivers the events an extension subscribed to; with none it blocks, as on Lambda.
func (inv *invocation) extensionNext(w http.ResponseWriter, r *http.Request) {
	inv.mu.Lock()
	events, ok := inv.extensions[r.Header.Get("Lambda-Extension-Identifier")]
	inv.mu.Unlock()
	if !ok {
		apiError(w, http.StatusForbidden, "Extension.UnknownExtensionIdentifier", "unknown Lambda-Extension-Identifier")
		return
	}
	select {
	case ev := <-events:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ev)
	case <-r.Context().Done():
	}
}

func (inv *invocation) extensionCount() int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return len(inv.extensions)
}

func (inv *invocation) shutdownExtensions() {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	ev, _ := json.Marshal(map[string]interface{}{
		"eventType": "SHUTDOWN", "shutdownReason": "spindown",
		"deadlineMs": time.Now().Add(shutdownGrace).UnixNano() / int64(time.Millisecond),
	})
	for id, events := range inv.extensions {
		if inv.subscribed[id]["SHUTDOWN"] {
			select {
			case events <- ev:
			default:
			}
		}
	}
}
