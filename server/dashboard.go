package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/dashboard"
	"github.com/unguessable/secrets/store"
)

// inProcessKey is the context key of the access key of a call that the
// dashboard makes in process, on behalf of a signed-in session: only this
// package can set it, so no client can claim it.
type inProcessKey struct{}

// mountDashboard adds the dashboard's pages to the mux, at / and beside
// /v1, if the store keeps sessions.
func (s *Server) mountDashboard(opts Options) error {
	if opts.NoDashboard {
		return nil
	}
	if _, ok := s.st.(store.Dashboard); !ok {
		return nil
	}
	d, err := dashboard.New(dashboard.Options{Store: s.st, API: s.callInProcess, Authenticate: s.dashboardSignIn,
		AccessKey: s.dashboardKey, Clock: s.clock, Logger: s.httpLog, IdleTimeout: opts.DashboardIdleTimeout,
		AbsoluteTimeout: opts.DashboardAbsoluteTimeout, NoSignInThrottle: opts.NoAuthThrottle})
	if err != nil {
		return err
	}
	d.Register(s.mux)
	return nil
}

// callInProcess serves one API call as caller, through the whole handler
// (scopes, namespaces, validation, audit, metrics, the line of the log).
func (s *Server) callInProcess(ctx context.Context, caller access.Key, method, target string, body []byte) (int, []byte) {
	r, err := http.NewRequestWithContext(context.WithValue(ctx, inProcessKey{}, caller), method, target, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadRequest, nil
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.RemoteAddr = "in-process"
	rec := &recorder{header: http.Header{}}
	s.handler.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes()
}

// inProcessCaller is the access key of an in-process call, if r is one.
func inProcessCaller(r *http.Request) (access.Key, bool) {
	k, ok := r.Context().Value(inProcessKey{}).(access.Key)
	return k, ok
}

// dashboardSignIn authenticates an access key presented to the sign-in
// form exactly as a bearer token of the API.
func (s *Server) dashboardSignIn(ctx context.Context, presented string) (access.Key, [32]byte, error) {
	r, _ := http.NewRequestWithContext(ctx, "POST", "/", nil)
	r.Header.Set("Authorization", "Bearer "+presented)
	k, err := s.authenticate(r)
	if errors.Is(err, errUnauthorized) {
		err = access.ErrUnauthenticated
	}
	return k, sha256.Sum256([]byte(presented)), err
}

// dashboardKey returns the live access key id of a session and the digest
// it was opened with: the root key only while the service has it.
func (s *Server) dashboardKey(ctx context.Context, id string) (access.Key, [32]byte, error) {
	if id == "root" {
		if s.hasRoot == 0 {
			return access.Key{}, [32]byte{}, access.ErrUnauthenticated
		}
		return access.Root("root"), s.admin, nil
	}
	k, err := s.st.AccessKeyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !k.RevokedAt.IsZero() {
		return access.Key{}, [32]byte{}, access.ErrUnauthenticated
	}
	if err != nil {
		return access.Key{}, [32]byte{}, err
	}
	var digest [32]byte
	copy(digest[:], k.Hash)
	return access.Key{ID: k.ID, Start: k.Start, Name: k.Name, Scopes: k.Scopes, Namespaces: k.Namespaces,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt}, digest, nil
}

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
