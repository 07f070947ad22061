package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unguessable/secrets"
)

// Defaults of [Options].
const (
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 10 * time.Second
	DefaultBaseDelay    = 100 * time.Millisecond
	// maxErrorBody caps how much of an error answer the client reads.
	maxErrorBody = 64 << 10
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// HTTPClient makes the requests; default a client of its own with a
	// 60-second timeout per request.
	HTTPClient *http.Client
	// MaxRetries is how many times a retryable call is tried again; default
	// DefaultMaxRetries; a negative value turns retries off.
	MaxRetries int
	// BaseDelay is the first backoff (doubled each retry, with jitter);
	// default DefaultBaseDelay.
	BaseDelay time.Duration
	// MaxRetryWait bounds every wait between tries, a Retry-After
	// included; default DefaultMaxRetryWait.
	MaxRetryWait time.Duration
}

// Client calls one secrets service with one access key. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL
	accessKey string
	hc        *http.Client
	retries   int
	baseDelay time.Duration
	maxWait   time.Duration
}

// ErrConfig is returned by [New] when the base URL or the access key cannot
// be used.
var ErrConfig = errors.New("secrets client: bad configuration")

// New returns a Client of the service at baseURL (such as
// "https://secrets.internal:8080") that presents accessKey as its bearer
// token. opts may be nil.
func New(baseURL, accessKey string, opts *Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: the server URL must be http:// or https:// with a host, such as http://127.0.0.1:8427", ErrConfig)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: the server URL must have no user, query or fragment", ErrConfig)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if accessKey == "" || strings.ContainsAny(accessKey, " \t\r\n") {
		return nil, fmt.Errorf("%w: the access key is empty or holds white space", ErrConfig)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	c := &Client{base: u, accessKey: accessKey, hc: o.HTTPClient, retries: o.MaxRetries, baseDelay: o.BaseDelay, maxWait: o.MaxRetryWait}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 60 * time.Second}
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultMaxRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.baseDelay <= 0 {
		c.baseDelay = DefaultBaseDelay
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxRetryWait
	}
	return c, nil
}

// Error is an answer of the service that refuses a call: a 4xx or 5xx
// status with the API's error object.
type Error struct {
	// Status is the HTTP status, such as 400 or 404.
	Status int
	// Code is the API's error code, such as "invalid_request"; empty when
	// the answer held no API error (from a proxy, say).
	Code string
	// Field names the request member or query parameter that was wrong,
	// when the service names one.
	Field string
	// Message is the service's explanation.
	Message string
	// RetryAfter is the answer's Retry-After, zero without one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "secrets: %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Field != "" {
		b.WriteString(" (field " + e.Field + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// call is one operation of the API.
type call struct {
	method, path string
	route        string // path with {id} for the id: what errors name
	query        url.Values
	in, out      any
	want         int  // the status of success
	alsoOK       int  // another status of success, if not 0
	got          *int // if set, receives the status of success
	safe         bool // retried after a 503 or a connection error
	auth         bool
}

// do runs c with its retries.
func (c *Client) do(ctx context.Context, op call) error {
	if op.route == "" {
		op.route = op.path
	}
	var body []byte
	if op.in != nil {
		var err error
		if body, err = json.Marshal(op.in); err != nil {
			return fmt.Errorf("secrets client: %s %s: encoding the request: %w", op.method, op.route, err)
		}
	}
	target := c.base.String() + op.path
	if len(op.query) > 0 {
		target += "?" + op.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, op.method, target, bytes.NewReader(body))
		if err != nil { // its text would repeat the URL, and the id in it
			return fmt.Errorf("secrets client: %s %s: the request cannot be made", op.method, op.route)
		}
		if body == nil {
			req.Body, req.ContentLength = http.NoBody, 0
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		if op.auth {
			req.Header.Set("Authorization", "Bearer "+c.accessKey)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err = transportError(err)
			if (op.safe || notSent(err)) && attempt < c.retries {
				if werr := c.sleep(ctx, c.backoff(attempt)); werr != nil {
					return werr
				}
				continue
			}
			return fmt.Errorf("secrets client: %s %s: %w", op.method, op.route, err)
		}
		if resp.StatusCode == op.want || (op.alsoOK != 0 && resp.StatusCode == op.alsoOK) {
			if op.got != nil {
				*op.got = resp.StatusCode
			}
			err := decodeBody(resp, op.out)
			if err != nil {
				return fmt.Errorf("secrets client: %s %s: reading the answer: %w", op.method, op.route, err)
			}
			return nil
		}
		apiErr := readError(resp)
		if apiErr.Status == http.StatusServiceUnavailable && op.safe && attempt < c.retries && apiErr.RetryAfter <= c.maxWait {
			if werr := c.sleep(ctx, max(apiErr.RetryAfter, c.backoff(attempt))); werr != nil {
				return werr
			}
			continue
		}
		return apiErr
	}
}

// backoff is the wait before retry attempt+1: full jitter over an
// exponential ceiling, bounded by maxWait.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.baseDelay << min(attempt, 20)
	if ceil <= 0 || ceil > c.maxWait {
		ceil = c.maxWait
	}
	// The jitter needs no secrecy; crypto/rand through RandBelow keeps
	// every use of randomness in the module on one audited source.
	half := ceil / 2
	return half + time.Duration(secrets.RandBelow(int(half)+1))
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(min(d, c.maxWait))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transportError drops the *url.Error around err: its text repeats the URL,
// which says nothing the caller does not know.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// notSent reports whether err failed the connection before any of the
// request was written: a dial that failed.
func notSent(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

func decodeBody(resp *http.Response, out any) error {
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		b, err := io.ReadAll(resp.Body)
		*raw = b
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// readError makes an *Error of a refusal. The body is read only as the
// API's error object, so nothing else of it reaches the error.
func readError(resp *http.Response) *Error {
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<31 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(v); err == nil {
			e.RetryAfter = max(time.Until(t), 0)
		}
	}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(b, &body) == nil && body.Error != nil {
		e.Code, e.Message, e.Field = body.Error.Code, body.Error.Message, body.Error.Field
	} else {
		e.Message = strings.ToLower(http.StatusText(resp.StatusCode))
	}
	return e
}

// Health calls GET /healthz: nil when the service and its database answer.
// It needs no access key.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, call{method: http.MethodGet, path: "/healthz", want: http.StatusOK, safe: true})
}

// OpenAPI returns the service's OpenAPI document, GET /openapi.json.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var b []byte
	err := c.do(ctx, call{method: http.MethodGet, path: "/openapi.json", out: &b, want: http.StatusOK, safe: true})
	return b, err
}

// Metrics returns the Prometheus text of GET /metrics (scope metrics:read).
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	var b []byte
	err := c.do(ctx, call{method: http.MethodGet, path: "/metrics", out: &b, want: http.StatusOK, safe: true, auth: true})
	return b, err
}

// ErrNoID is returned, without a call, by a method given an empty id.
var ErrNoID = errors.New("secrets client: the id is empty")

// idPath is prefix and id as one escaped path segment, then suffix.
func idPath(prefix, id, suffix string) (string, error) {
	if id == "" {
		return "", ErrNoID
	}
	return prefix + url.PathEscape(id) + suffix, nil
}

// The API's error codes, the Code of an [*Error].
const (
	CodeInvalidRequest       = "invalid_request"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeConflict             = "conflict"
	CodeRequestTooLarge      = "request_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeTooManyRequests      = "too_many_requests"
	CodeInternalError        = "internal_error"
	CodeUnavailable          = "unavailable"
)
