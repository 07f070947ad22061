package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// unmatched is the route label of requests that matched no pattern (404,
// 405), so that raw paths never become labels or log fields.
const unmatched = "unmatched"

// routeLabel is the pattern that r matched, such as "GET /v1/keys/{id}",
// or "unmatched". Never the path: paths are chosen by clients.
func routeLabel(r *http.Request) string {
	if r.Pattern == "" {
		return unmatched
	}
	return r.Pattern
}

// serveHTTP is what every request goes through, around the ServeMux: it
// turns a panic in a handler into a 500 without detail (the stack goes to
// the log only), makes the ServeMux's own 404 and 405 answers JSON errors
// like every other, and then logs one line and counts the request in the
// metrics. The line holds the method, the route pattern, the status, the
// duration, the size and the client's address: never the path, the query,
// a header or a body, any of which may carry a secret.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w, r: r}
	s.dispatch(rw, r)
	d := time.Since(start)
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	route := routeLabel(r)
	s.metrics.observe(route, rw.status, d)
	if s.httpLog.Enabled(r.Context(), s.reqLvl) {
		s.httpLog.LogAttrs(r.Context(), s.reqLvl, "request",
			slog.String(logKeyMethod, clip(r.Method)), slog.String(logKeyRoute, route), slog.Int(logKeyStatus, rw.status),
			slog.Duration(logKeyDuration, d), slog.Int64(logKeyBytes, rw.bytes), slog.String(logKeyRemote, r.RemoteAddr))
	}
}

// maxLogField is the most bytes of a field of a log line that a client
// chooses (the method): a line per request must not be a client's 60 KB.
const maxLogField = 32

// clip cuts a client's value for a log line to maxLogField bytes of whole
// characters, marking the cut with "…".
func clip(v string) string {
	if len(v) <= maxLogField {
		return v
	}
	return strings.ToValidUTF8(v[:maxLogField], "") + "…"
}

// dispatch serves r with the ServeMux, recovering from a panic.
func (s *Server) dispatch(rw *responseWriter, r *http.Request) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.httpLog.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
			slog.String(logKeyRoute, routeLabel(r)), slog.String(logKeyStack, string(debug.Stack())))
		if rw.status == 0 {
			writeError(rw, errInternal)
		}
	}()
	s.mux.ServeHTTP(rw, r)
}

// responseWriter notes the status and size of a response, and replaces the
// plain-text 404 and 405 of a request that matched no route.
type responseWriter struct {
	http.ResponseWriter
	r       *http.Request
	status  int
	bytes   int64
	swallow bool // the ServeMux's own body, replaced by a JSON error
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && w.r.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		e := notFound("no such endpoint: see /openapi.json")
		if code == http.StatusMethodNotAllowed {
			e = &apiError{Status: code, Code: codeMethod, Message: "method " + strconv.Quote(w.r.Method) + " is not allowed here; allowed: " + w.Header().Get("Allow")}
			if len(w.r.Method) > maxLogField {
				e.Message = "the method is not allowed here; allowed: " + w.Header().Get("Allow")
			}
		}
		w.status = code // so that writeError's own WriteHeader passes through
		writeError(w, e)
		w.swallow = true
		return
	}
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
