package shim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
)

// Request is the HTTP request an OpenFaaS function sees.
type Request struct {
	Method  string
	Path    string
	Query   url.Values
	Headers map[string]string
	Body    string
}

var httpKeys = map[string]bool{"body": true, "headers": true, "method": true, "path": true, "query": true}

// HTTPRequest: an HTTP-shaped payload ({body, headers, method, path, query}, at least body or
// method) is the request; any other payload is a POST whose body is its JSON text.
func HTTPRequest(payload []byte) Request {
	req := Request{Method: "POST", Path: "/", Query: url.Values{}, Headers: map[string]string{}}
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) == nil && len(obj) > 0 && isHTTPShaped(obj) {
		var s string
		if json.Unmarshal(obj["method"], &s) == nil && s != "" {
			req.Method = strings.ToUpper(s)
		}
		if json.Unmarshal(obj["path"], &s) == nil && s != "" {
			req.Path = s
		}
		var headers map[string]interface{}
		_ = json.Unmarshal(obj["headers"], &headers)
		for k, v := range headers {
			req.Headers[http.CanonicalHeaderKey(k)] = toString(v)
		}
		var query map[string]interface{}
		_ = json.Unmarshal(obj["query"], &query)
		for k, v := range query {
			req.Query.Set(k, toString(v))
		}
		if body, has := obj["body"]; has {
			if json.Unmarshal(body, &s) == nil {
				req.Body = s
			} else if string(body) != "null" {
				req.Body = string(body)
				if _, set := req.Headers["Content-Type"]; !set {
					req.Headers["Content-Type"] = "application/json"
				}
			}
		}
		return req
	}
	var s string
	if json.Unmarshal(payload, &s) == nil {
		req.Body, req.Headers["Content-Type"] = s, "text/plain"
	} else if string(payload) != "null" {
		req.Body, req.Headers["Content-Type"] = string(payload), "application/json"
	}
	return req
}

func isHTTPShaped(obj map[string]json.RawMessage) bool {
	for k := range obj {
		if !httpKeys[k] {
			return false
		}
	}
	_, body := obj["body"]
	_, method := obj["method"]
	return body || method
}

func toString(v interface{}) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// setHTTPEnv sets what the OpenFaaS watchdog sets: Http_Method, Http_Path, Http_Query, Http_<Header>.
func setHTTPEnv(req Request) {
	os.Setenv("Http_Method", req.Method)
	os.Setenv("Http_Path", req.Path)
	os.Setenv("Http_Query", req.Query.Encode())
	for k, v := range req.Headers {
		os.Setenv("Http_"+strings.ReplaceAll(k, "-", "_"), v)
	}
}

// OpenFaaS runs an OpenFaaS Go function once: classic func Handle(req []byte) string, or
// golang-middleware / golang-http style func Handle(w http.ResponseWriter, r *http.Request).
// The result is {"statusCode", "headers", "body"}.
func OpenFaaS(handle interface{}) {
	defer Guard()
	req := HTTPRequest(Payload())
	setHTTPEnv(req)
	switch h := handle.(type) {
	case func([]byte) string:
		Succeed(map[string]interface{}{"statusCode": 200, "headers": map[string]string{}, "body": h([]byte(req.Body))})
	case func(http.ResponseWriter, *http.Request):
		Succeed(serveHTTP(http.HandlerFunc(h), req))
	case http.HandlerFunc:
		Succeed(serveHTTP(h, req))
	default:
		Fail(&Failure{"HandlerNotFound", "Handle must be func([]byte) string or func(http.ResponseWriter, *http.Request)"}, "")
	}
}

func serveHTTP(h http.Handler, req Request) map[string]interface{} {
	target := req.Path
	if q := req.Query.Encode(); q != "" {
		target += "?" + q
	}
	r := httptest.NewRequest(req.Method, target, strings.NewReader(req.Body))
	for k, v := range req.Headers {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	headers := map[string]string{}
	for k, v := range rec.Header() {
		headers[k] = strings.Join(v, ", ")
	}
	return map[string]interface{}{"statusCode": rec.Code, "headers": headers, "body": rec.Body.String()}
}
