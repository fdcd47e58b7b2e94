package apierror

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
)

// maxErrorBody bounds what HTTPMiddleware buffers; Connect error bodies are tiny.
const maxErrorBody = 64 << 10

// HTTPMiddleware completes the error model for failures that happen before any
// interceptor runs: Connect rejects a malformed or oversized unary JSON body while
// decoding it, answering with a code and message but no ErrorDetail. The middleware adds
// the detail (reason, and the field named in the decoder's message as a violation) to
// such unary Connect JSON error bodies, and answers an oversized body with 413. Bodies
// that already carry details, successes and streams pass through untouched.
func HTTPMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		dw := &detailWriter{ResponseWriter: w}
		next.ServeHTTP(dw, r)
		dw.finish()
	})
}

type detailWriter struct {
	http.ResponseWriter
	status    int
	intercept bool
	wrote     bool
	buf       bytes.Buffer
}

func (d *detailWriter) WriteHeader(code int) {
	if d.wrote {
		return
	}
	d.wrote = true
	d.status = code
	if code >= 400 && strings.HasPrefix(d.Header().Get("Content-Type"), "application/json") {
		d.intercept = true
		return
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *detailWriter) Write(p []byte) (int, error) {
	if !d.wrote {
		d.WriteHeader(http.StatusOK)
	}
	if d.intercept {
		if d.buf.Len()+len(p) > maxErrorBody {
			d.flushRaw()
			return d.ResponseWriter.Write(p)
		}
		return d.buf.Write(p)
	}
	return d.ResponseWriter.Write(p)
}

// Flush lets streaming responses through.
func (d *detailWriter) Flush() {
	if d.intercept {
		return
	}
	if f, ok := d.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (d *detailWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

func (d *detailWriter) flushRaw() {
	if !d.intercept {
		return
	}
	d.intercept = false
	d.ResponseWriter.WriteHeader(d.status)
	_, _ = d.ResponseWriter.Write(d.buf.Bytes())
	d.buf.Reset()
}

type wireDetail struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type wireError struct {
	Code    string          `json:"code"`
	Message string          `json:"message,omitempty"`
	Details json.RawMessage `json:"details,omitempty"`
}

func (d *detailWriter) finish() {
	if !d.intercept {
		return
	}
	var we wireError
	if err := json.Unmarshal(d.buf.Bytes(), &we); err != nil || we.Code == "" || (len(we.Details) > 0 && string(we.Details) != "null") {
		d.flushRaw()
		return
	}
	detail, status := detailFor(we.Code, we.Message)
	if status == 0 {
		status = d.status
	}
	val, err := proto.Marshal(detail)
	if err != nil {
		d.flushRaw()
		return
	}
	details, _ := json.Marshal([]wireDetail{{
		Type:  string(detail.ProtoReflect().Descriptor().FullName()),
		Value: base64.RawStdEncoding.EncodeToString(val),
	}})
	we.Details = details
	body, err := json.Marshal(we)
	if err != nil {
		d.flushRaw()
		return
	}
	d.intercept = false
	d.Header().Set("Content-Length", strconv.Itoa(len(body)))
	d.ResponseWriter.WriteHeader(status)
	_, _ = d.ResponseWriter.Write(body)
}

var (
	fieldInMessage   = regexp.MustCompile(`(?:field|unknown field) "?([A-Za-z_][A-Za-z0-9_.]*)"?`)
	tooLargeMessage  = regexp.MustCompile(`larger than configured max|message size`)
	decodeMessageTag = regexp.MustCompile(`^(unmarshal|proto:|invalid|unexpected|syntax)`)
)

// detailFor builds the ErrorDetail for a framework error body, and the HTTP status to use
// instead of the framework's (0 keeps it).
func detailFor(code, msg string) (*errorsv1.ErrorDetail, int) {
	switch code {
	case "resource_exhausted":
		if tooLargeMessage.MatchString(msg) {
			return &errorsv1.ErrorDetail{Reason: ReasonPayloadTooLarge}, http.StatusRequestEntityTooLarge
		}
		return &errorsv1.ErrorDetail{Reason: ReasonRateLimited}, 0
	case "invalid_argument":
		d := &errorsv1.ErrorDetail{Reason: ReasonValidation}
		field := "body"
		if m := fieldInMessage.FindStringSubmatch(msg); m != nil {
			field = lowerCamel(m[1])
		}
		desc := "malformed request body"
		if decodeMessageTag.MatchString(msg) || strings.Contains(msg, "unmarshal") {
			desc = "could not be decoded: " + trimDecoderNoise(msg)
		}
		d.FieldViolations = []*errorsv1.FieldViolation{{Field: field, Description: desc}}
		return d, 0
	case "unauthenticated":
		return &errorsv1.ErrorDetail{Reason: ReasonUnauthenticated}, 0
	case "permission_denied":
		return &errorsv1.ErrorDetail{Reason: ReasonPermissionDenied}, 0
	case "not_found":
		return &errorsv1.ErrorDetail{Reason: ReasonNotFound}, 0
	case "unimplemented":
		return &errorsv1.ErrorDetail{Reason: "UNIMPLEMENTED"}, 0
	case "unavailable":
		return &errorsv1.ErrorDetail{Reason: ReasonUnavailable}, 0
	}
	return &errorsv1.ErrorDetail{Reason: ReasonInternal}, 0
}

func trimDecoderNoise(msg string) string {
	msg = strings.TrimPrefix(msg, "unmarshal message: ")
	if i := strings.LastIndex(msg, "): "); i >= 0 && strings.Contains(msg[:i], "(line ") {
		msg = msg[i+3:]
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
