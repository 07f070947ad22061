package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
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

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs one line per request and counts it in the metrics. The line
// holds the method, the route pattern, the status, the duration, the size
// and the client's address: never the path, the query, a header or a body,
// any of which may carry a secret.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := routeLabel(r)
		s.metrics.observe(route, rec.status, d)
		s.log.LogAttrs(r.Context(), s.reqLvl, "request",
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", rec.status),
			slog.Duration("duration", d), slog.Int64("bytes", rec.bytes), slog.String("remote", r.RemoteAddr))
	})
}

// recoverPanics turns a panic in a handler into a 500 without detail; the
// stack goes to the log only.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("route", routeLabel(r)), slog.String("stack", string(debug.Stack())))
			if rec.status == 0 {
				writeError(rec, errInternal)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// jsonErrors makes the ServeMux's own 404 and 405 answers JSON errors like
// every other; the 405 keeps its Allow header.
func (s *Server) jsonErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w, r: r}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	if w.r.Pattern == "" && !w.swallow && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		w.swallow = true
		e := notFound("no such endpoint: see /openapi.json")
		if code == http.StatusMethodNotAllowed {
			e = &apiError{Status: code, Code: codeMethod, Message: "method " + strconv.Quote(w.r.Method) + " is not allowed here; allowed: " + w.Header().Get("Allow")}
			if len(w.r.Method) > 32 {
				e.Message = "the method is not allowed here; allowed: " + w.Header().Get("Allow")
			}
		}
		writeError(w.ResponseWriter, e)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *muxErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
