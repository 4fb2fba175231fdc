package shim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"
)

// Request is the HTTP request an OpenFaaS function sees; Body holds its bytes.
type Request struct {
	Method  string
	Path    string
	Query   url.Values
	Headers map[string]string
	Body    string
}

var httpKeys = map[string]bool{"body": true, "headers": true, "method": true, "path": true, "query": true, "isBase64Encoded": true}

// HTTPRequest: an HTTP-shaped payload ({body, headers, method, path, query, isBase64Encoded}, at
// least body or method) is the request; any other payload is a POST whose body is its JSON text.
// A body with isBase64Encoded is base64 of the bytes (a binary body); a malformed one fails the
// invocation as InvalidPayload.
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
		var b64 bool
		_ = json.Unmarshal(obj["isBase64Encoded"], &b64)
		if body, has := obj["body"]; has && b64 {
			raw, err := decodeBase64Body(body)
			if err != nil {
				Fail(&Failure{"InvalidPayload", "isBase64Encoded needs a base64 string body: " + err.Error()}, "")
			}
			req.Body = string(raw)
		} else if body, has := obj["body"]; has {
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

func decodeBase64Body(body json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(s)
}

// answer is the wrapper's {statusCode, headers, body}. Bytes travel as text when they are
// NUL-free UTF-8 (NUL cannot be stored in a JSON column, and JSON would replace invalid UTF-8),
// else as base64 with isBase64Encoded: the platform answers them byte for byte either way.
func answer(status int, headers map[string]string, body []byte) map[string]interface{} {
	out := map[string]interface{}{"statusCode": status, "headers": headers}
	if utf8.Valid(body) && bytes.IndexByte(body, 0) < 0 {
		out["body"] = string(body)
	} else {
		out["body"], out["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
	}
	return out
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
		Succeed(answer(200, map[string]string{}, []byte(h([]byte(req.Body)))))
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
	return answer(rec.Code, headers, rec.Body.Bytes())
}
