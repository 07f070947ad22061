package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/store"
)

// view is what every page's template gets.
type view struct {
	Title  string
	Nav    string     // the menu entry to mark current
	Key    access.Key // the signed-in access key; zero on the sign-in page
	CSRF   string
	Error  string
	Notice string
	Data   any
}

// Can reports whether the signed-in key holds scope: what a page does not
// allow, it does not show.
func (v *view) Can(scope string) bool { return v.Key.Allows(scope) }

var funcs = template.FuncMap{
	"when": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"pct": func(a, b int64) string {
		if b == 0 {
			return "—"
		}
		return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
	},
	"class": groupClass,
	"join":  strings.Join,
}

// parsePages parses each page of templates/ with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// pageHandler serves a page to a signed-in session.
type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

// maxFormBytes caps a form's body.
const maxFormBytes = 64 << 10

// page wraps h: the request must belong to a live session, a POST must
// come from the dashboard's own page (the session's CSRF token, and no
// other site's Origin), and the session's key must hold scope ("": any
// signed-in key).
func (d *Dashboard) page(scope string, h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := d.session(w, r)
		if errors.Is(err, errNoSession) {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
				return
			}
			d.render(w, http.StatusUnauthorized, "message", &view{Title: "Signed out",
				Error: "You are signed out. Sign in again to continue."})
			return
		}
		if err != nil {
			d.failed(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil || !checkCSRF(r, s) || crossSite(r) {
				d.forbidden(w, s, "This form did not come from this dashboard, or has expired. Reload the page and try again.")
				return
			}
		}
		if scope != "" && !s.key.Allows(scope) {
			d.forbidden(w, s, "This access key lacks the scope "+scope+".")
			return
		}
		h(w, r, s)
	})
}

// crossOrigin is net/http's check of where a form came from.
var crossOrigin = http.NewCrossOriginProtection()

// crossSite reports whether the browser says r came from another origin:
// by Sec-Fetch-Site, which browsers set themselves and pages cannot, when
// it is there; otherwise by an Origin whose host is not r's Host. So a
// proxy that passes the service another Host than the browser's (nginx's
// default) still gets its own forms through; a request with neither
// header (an old browser, a program) is left to the CSRF token.
func crossSite(r *http.Request) bool {
	return crossOrigin.Check(r) != nil
}

func (d *Dashboard) forbidden(w http.ResponseWriter, s *session, msg string) {
	d.render(w, http.StatusForbidden, "message", d.view(s, "Forbidden", "", nil).withError(msg))
}

func (d *Dashboard) notFound(w http.ResponseWriter, s *session, msg string) {
	d.render(w, http.StatusNotFound, "message", d.view(s, "Not found", "", nil).withError(msg))
}

// failed answers a request whose store or API call failed, without detail.
func (d *Dashboard) failed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	d.log.Error("dashboard page failed", "route", r.Pattern, "err", err)
	d.render(w, http.StatusServiceUnavailable, "message", &view{Title: "Unavailable",
		Error: "The service could not answer just now. Try again in a moment."})
}

func (d *Dashboard) view(s *session, title, nav string, data any) *view {
	return &view{Title: title, Nav: nav, Key: s.key, CSRF: s.csrf, Data: data}
}

func (v *view) withError(msg string) *view { v.Error = msg; return v }

// apiError is an answer of the API other than 2xx.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Message }

// call makes an API call as s's key and decodes a 2xx answer into out.
// Another answer is an *apiError; a 5xx one is an error to log, not show.
func (d *Dashboard) call(r *http.Request, s *session, method, target string, body any, out any) error {
	var in []byte
	if body != nil {
		var err error
		if in, err = json.Marshal(body); err != nil {
			return err
		}
	}
	status, answer := d.opts.API(r.Context(), s.key, method, target, in)
	if status >= 500 {
		return fmt.Errorf("dashboard: %s %s: status %d", method, strings.SplitN(target, "?", 2)[0], status)
	}
	if status >= 300 {
		var e struct {
			Error apiError `json:"error"`
		}
		_ = json.Unmarshal(answer, &e)
		e.Error.Status = status
		if e.Error.Message == "" {
			e.Error.Message = http.StatusText(status)
		}
		return &e.Error
	}
	if out != nil && len(answer) > 0 {
		return json.Unmarshal(answer, out)
	}
	return nil
}

// shown splits err into what a page may show (a 4xx answer's message) and
// a failure to answer with 503.
func shown(err error) (string, error) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Message, nil
	}
	return "", err
}

// statusOf is the status of an API answer err, for the page that shows
// it: 400 if err is no *apiError.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return http.StatusBadRequest
}

// keyInfo is an API key as GET /v1/keys/{id} describes it. Fields the API
// adds that this type does not name are kept in Extra, and shown on the
// key's page as they are.
type keyInfo struct {
	ID        string          `json:"id"`
	Key       string          `json:"key"`
	Start     string          `json:"start"`
	Prefix    string          `json:"prefix"`
	Namespace string          `json:"namespace"`
	Owner     string          `json:"owner"`
	Name      string          `json:"name"`
	Meta      json.RawMessage `json:"meta"`
	Enabled   bool            `json:"enabled"`
	CreatedAt *time.Time      `json:"created_at"`
	UpdatedAt *time.Time      `json:"updated_at"`
	ExpiresAt *time.Time      `json:"expires_at"`
	RevokedAt *time.Time      `json:"revoked_at"`
	Remaining *int64          `json:"remaining"`
	RateLimit *struct {
		Limit  int64 `json:"limit"`
		Window int64 `json:"window"`
	} `json:"ratelimit"`
	Extra map[string]json.RawMessage `json:"-"`
	State string                     `json:"-"` // its status at the time of the page: see status
}

// knownKeyFields are the members keyInfo names.
var knownKeyFields = []string{"id", "key", "start", "prefix", "namespace", "owner", "name", "meta", "enabled", "created_at",
	"updated_at", "expires_at", "revoked_at", "remaining", "ratelimit"}

func (k *keyInfo) UnmarshalJSON(b []byte) error {
	type plain keyInfo
	if err := json.Unmarshal(b, (*plain)(k)); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for name, v := range all {
		if !slices.Contains(knownKeyFields, name) && string(v) != "null" {
			if k.Extra == nil {
				k.Extra = map[string]json.RawMessage{}
			}
			k.Extra[name] = v
		}
	}
	return nil
}

// status is the key's state at now, for a badge: the statuses of the
// list's filter.
func (k keyInfo) status(now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return string(store.KeyRevoked)
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return string(store.KeyExpired)
	case !k.Enabled:
		return string(store.KeyDisabled)
	}
	return string(store.KeyActive)
}

func fromStoreKey(k store.Key) keyInfo {
	t := func(v time.Time) *time.Time {
		if v.IsZero() {
			return nil
		}
		return &v
	}
	return keyInfo{ID: k.ID, Start: k.Start, Prefix: k.Prefix, Namespace: k.Namespace, Owner: k.Owner, Name: k.Name,
		Enabled: k.Enabled, CreatedAt: t(k.CreatedAt), ExpiresAt: t(k.ExpiresAt), RevokedAt: t(k.RevokedAt), Remaining: k.Remaining}
}

// namespacesOf is what s's key may see for store.KeySearch: nil for all.
func namespacesOf(k access.Key) []string {
	if k.SeesNamespace(access.AllNamespaces) {
		return nil
	}
	return k.Namespaces
}

// ranges are the overview's periods: length and bucket size.
var ranges = []struct {
	Name string
	Span time.Duration
	Step time.Duration
	Gran string
}{
	{"24h", 24 * time.Hour, time.Hour, "hour"},
	{"7d", 7 * 24 * time.Hour, time.Hour, "hour"},
	{"30d", 30 * 24 * time.Hour, 24 * time.Hour, "day"},
}

// usage asks the analytics API for kind ("verifications", "codes",
// "tokens", "deliveries") over the range name, grouped by groupBy and
// narrowed by filter. ok is false when the API has no analytics (an older
// service) or the key may not read them.
func (d *Dashboard) usage(r *http.Request, s *session, kind, rangeName, groupBy string, filter url.Values) (series, bool, error) {
	if !s.key.Allows(access.AnalyticsRead) {
		return series{}, false, nil
	}
	rg := ranges[0]
	for _, c := range ranges {
		if c.Name == rangeName {
			rg = c
		}
	}
	to := d.clock.Now().UTC().Truncate(rg.Step).Add(rg.Step)
	from := to.Add(-rg.Span)
	// A key of some namespaces reads the verifications of each of them.
	namespaces := []string{""}
	if ns := namespacesOf(s.key); kind == "verifications" && ns != nil && filter.Get("namespace") == "" {
		namespaces = ns[:min(len(ns), maxNamespaceQueries)]
	}
	var all []bucket
	for _, ns := range namespaces {
		q := url.Values{}
		for k, v := range filter {
			q[k] = v
		}
		if ns != "" {
			q.Set("namespace", ns)
		}
		q.Set("from", from.Format(time.RFC3339))
		q.Set("to", to.Format(time.RFC3339))
		q.Set("granularity", rg.Gran)
		q.Set("group_by", groupBy)
		var out struct {
			Buckets []bucket `json:"buckets"`
		}
		err := d.call(r, s, "GET", "/v1/analytics/"+kind+"?"+q.Encode(), nil, &out)
		var ae *apiError
		if errors.As(err, &ae) {
			if ae.Status == http.StatusNotFound || ae.Status == http.StatusForbidden {
				return series{}, false, nil
			}
			return series{}, false, err
		}
		if err != nil {
			return series{}, false, err
		}
		all = append(all, out.Buckets...)
	}
	return fill(all, from, to, rg.Step), true, nil
}

// maxNamespaceQueries caps the analytics queries of one chart for a key of
// many namespaces: as many as a key may have, so that the chart counts
// every namespace the key sees.
const maxNamespaceQueries = access.MaxNamespaces

// chart is a drawn series for a template.
type chart struct {
	Title string
	SVG   template.HTML
	S     series
}

type overviewData struct {
	Range     string
	Ranges    []string
	Analytics bool
	Verify    chart
	Success   int64
	Codes     series
	Tokens    series
	Delivered series
	Counts    map[string]int64
	// The headline figures: codes approved and refused, tokens redeemed
	// (a redemption that answered VALID), deliveries sent and failed.
	CodesApproved, CodesFailed, TokensRedeemed, Sent, Failed int64
}

func rangeNames() []string {
	var ns []string
	for _, r := range ranges {
		ns = append(ns, r.Name)
	}
	return ns
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, s *session) {
	data := overviewData{Range: r.URL.Query().Get("range"), Ranges: rangeNames()}
	if !slices.Contains(data.Ranges, data.Range) {
		data.Range = "24h"
	}
	var err error
	var ok bool
	if data.Verify.S, ok, err = d.usage(r, s, "verifications", data.Range, "outcome", nil); err != nil {
		d.failed(w, r, err)
		return
	}
	if ok {
		data.Analytics = true
		data.Verify.Title = "Key verifications by outcome, last " + data.Range
		data.Verify.SVG = chartSVG(data.Verify.S, data.Verify.Title)
		data.Success = data.Verify.S.Totals["VALID"]
		for kind, dst := range map[string]*series{"codes": &data.Codes, "tokens": &data.Tokens, "deliveries": &data.Delivered} {
			if *dst, _, err = d.usage(r, s, kind, data.Range, "outcome", nil); err != nil {
				d.failed(w, r, err)
				return
			}
		}
		data.CodesApproved = data.Codes.Totals["APPROVED"]
		data.CodesFailed = data.Codes.Total - data.CodesApproved
		data.TokensRedeemed = data.Tokens.Totals["VALID"]
		data.Sent, data.Failed = data.Delivered.Totals["sent"], data.Delivered.Totals["failed"]
	}
	if s.key.Allows(access.KeysRead) {
		if data.Counts, err = d.st.CountKeys(r.Context(), namespacesOf(s.key), d.clock.Now()); err != nil {
			d.failed(w, r, err)
			return
		}
	}
	d.render(w, http.StatusOK, "overview", d.view(s, "Overview", "overview", data))
}

// pageSize is the keys per page of the list.
const pageSize = 50

type keysData struct {
	Q, Namespace, Status string
	Statuses             []string
	Keys                 []keyInfo
	Next                 string // the URL of the next page, "" on the last
	First                string // the URL of the first page, "" on it
}

func (d *Dashboard) keysPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	data := keysData{Q: strings.TrimSpace(q.Get("q")), Namespace: q.Get("namespace"), Status: q.Get("status"),
		Statuses: []string{string(store.KeyActive), string(store.KeyDisabled), string(store.KeyExpired), string(store.KeyRevoked)}}
	if data.Status != "" && !slices.Contains(data.Statuses, data.Status) {
		data.Status = ""
	}
	after := q.Get("after")
	ks, err := d.st.SearchKeys(r.Context(), store.KeySearch{Text: data.Q, Namespaces: namespacesOf(s.key), Namespace: data.Namespace,
		Status: store.KeyStatus(data.Status), Now: d.clock.Now(), After: after, Limit: pageSize + 1})
	if err != nil {
		d.failed(w, r, err)
		return
	}
	keep := url.Values{}
	for _, p := range []struct{ k, v string }{{"q", data.Q}, {"namespace", data.Namespace}, {"status", data.Status}} {
		if p.v != "" {
			keep.Set(p.k, p.v)
		}
	}
	if len(ks) > pageSize {
		ks = ks[:pageSize]
		next := url.Values{}
		for k, v := range keep {
			next[k] = v
		}
		next.Set("after", ks[pageSize-1].ID)
		data.Next = "/keys?" + next.Encode()
	}
	if after != "" {
		data.First = "/keys?" + keep.Encode()
	}
	for _, k := range ks {
		ki := fromStoreKey(k)
		ki.State = ki.status(d.clock.Now())
		data.Keys = append(data.Keys, ki)
	}
	d.render(w, http.StatusOK, "keys", d.view(s, "API keys", "keys", data))
}

func (d *Dashboard) newKeyPage(w http.ResponseWriter, r *http.Request, s *session) {
	d.render(w, http.StatusOK, "newkey", d.view(s, "Create an API key", "keys", newKeyForm{Prefix: "sk_"}))
}

type newKeyForm struct {
	Prefix, Namespace, Owner, Name, Remaining, ExpiresIn, RateLimit, RateWindow string
}

// createKey creates a key and shows it once: the answer is the page, not
// a redirect to one, so the plaintext is in no URL and in no later page.
func (d *Dashboard) createKey(w http.ResponseWriter, r *http.Request, s *session) {
	f := newKeyForm{Prefix: r.PostFormValue("prefix"), Namespace: r.PostFormValue("namespace"), Owner: r.PostFormValue("owner"),
		Name: r.PostFormValue("name"), Remaining: r.PostFormValue("remaining"), ExpiresIn: r.PostFormValue("expires_in"),
		RateLimit: r.PostFormValue("ratelimit_limit"), RateWindow: r.PostFormValue("ratelimit_window")}
	body := map[string]any{"prefix": f.Prefix, "namespace": f.Namespace, "owner": f.Owner, "name": f.Name}
	problem := ""
	num := func(field, v string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil && problem == "" {
			problem = field + " must be a whole number"
		}
		return n
	}
	if f.Remaining != "" {
		body["remaining"] = num("Remaining uses", f.Remaining)
	}
	if f.ExpiresIn != "" {
		body["expires_in"] = num("Expires in", f.ExpiresIn)
	}
	if f.RateLimit != "" || f.RateWindow != "" {
		body["ratelimit"] = map[string]int64{"limit": num("Rate limit", f.RateLimit), "window": num("Rate window", f.RateWindow)}
	}
	var created keyInfo
	if problem == "" {
		err := d.call(r, s, "POST", "/v1/keys", body, &created)
		if problem, err = shown(err); err != nil {
			d.failed(w, r, err)
			return
		}
	}
	if problem != "" {
		d.render(w, http.StatusBadRequest, "newkey", d.view(s, "Create an API key", "keys", f).withError(problem))
		return
	}
	d.render(w, http.StatusCreated, "created", d.view(s, "Key created", "keys", created))
}

type keyData struct {
	K       keyInfo
	Meta    string
	Extra   []extraField
	Usage   chart
	Range   string
	Ranges  []string
	HasUse  bool
	Audit   []auditRecord
	Actions []string // the actions this key's page offers
}

type extraField struct{ Name, Value string }

type auditRecord struct {
	ID        string     `json:"id"`
	At        *time.Time `json:"at"`
	ActorID   string     `json:"actor_id"`
	ActorName string     `json:"actor_name"`
	Action    string     `json:"action"`
	Target    string     `json:"target"`
	Namespace string     `json:"namespace"`
	Outcome   string     `json:"outcome"`
	RequestID string     `json:"request_id"`
}

// getKey reads key id through the API: a key of another namespace is as
// missing as one that does not exist.
func (d *Dashboard) getKey(w http.ResponseWriter, r *http.Request, s *session, id string) (keyInfo, bool) {
	var k keyInfo
	err := d.call(r, s, "GET", "/v1/keys/"+url.PathEscape(id), nil, &k)
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Status == http.StatusNotFound {
			d.notFound(w, s, "There is no key with this id.")
		} else {
			d.forbidden(w, s, ae.Message)
		}
		return k, false
	}
	if err != nil {
		d.failed(w, r, err)
		return k, false
	}
	k.State = k.status(d.clock.Now())
	return k, true
}

func (d *Dashboard) keyPage(w http.ResponseWriter, r *http.Request, s *session) {
	k, ok := d.getKey(w, r, s, r.PathValue("id"))
	if !ok {
		return
	}
	data := keyData{K: k, Range: r.URL.Query().Get("range"), Ranges: rangeNames()}
	if !slices.Contains(data.Ranges, data.Range) {
		data.Range = "24h"
	}
	if len(k.Meta) > 0 && string(k.Meta) != "null" {
		data.Meta = indent(k.Meta)
	}
	for name, v := range k.Extra {
		data.Extra = append(data.Extra, extraField{Name: name, Value: indent(v)})
	}
	slices.SortFunc(data.Extra, func(a, b extraField) int { return strings.Compare(a.Name, b.Name) })
	var err error
	if data.Usage.S, data.HasUse, err = d.usage(r, s, "verifications", data.Range, "outcome", url.Values{"key_id": {k.ID}, "namespace": {k.Namespace}}); err != nil {
		d.failed(w, r, err)
		return
	}
	if data.HasUse {
		data.Usage.Title = "Verifications of this key by outcome, last " + data.Range
		data.Usage.SVG = chartSVG(data.Usage.S, data.Usage.Title)
	}
	if s.key.Allows(access.AuditRead) {
		var out struct {
			Records []auditRecord `json:"records"`
		}
		if err := d.call(r, s, "GET", "/v1/audit?limit=50&target="+url.QueryEscape(k.ID), nil, &out); err != nil {
			d.failed(w, r, err)
			return
		}
		data.Audit = out.Records
		slices.Reverse(data.Audit) // newest first
	}
	if k.RevokedAt == nil {
		for _, a := range keyActions {
			if s.key.Allows(a.scope) && (a.name != "enable" || !k.Enabled) && (a.name != "disable" || k.Enabled) {
				data.Actions = append(data.Actions, a.name)
			}
		}
	}
	d.render(w, http.StatusOK, "key", d.view(s, "Key "+k.ID, "keys", data))
}

func indent(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// keyActions are the changes the key page makes, each behind a
// confirmation, and the scope each needs.
var keyActions = []struct {
	name, scope, question, warning string
}{
	{"enable", access.KeysUpdate, "Enable this key?", "Verifications of the key will succeed again."},
	{"disable", access.KeysUpdate, "Disable this key?", "Verifications of the key will fail with DISABLED until it is enabled again."},
	{"reroll", access.KeysCreate, "Reroll this key?", "A new key replaces this one, which stops working at once. The new key is shown once."},
	{"revoke", access.KeysRevoke, "Revoke this key?", "Verifications of the key will fail with REVOKED. This cannot be undone."},
}

type confirmData struct {
	Action, Question, Warning, Post, Back, Target string
}

func keyAction(name string) (int, bool) {
	for i, a := range keyActions {
		if a.name == name {
			return i, true
		}
	}
	return 0, false
}

func (d *Dashboard) confirmKeyAction(w http.ResponseWriter, r *http.Request, s *session) {
	i, ok := keyAction(r.PathValue("action"))
	if !ok {
		d.notFound(w, s, "There is no such page.")
		return
	}
	a := keyActions[i]
	if !s.key.Allows(a.scope) {
		d.forbidden(w, s, "This access key lacks the scope "+a.scope+".")
		return
	}
	k, ok := d.getKey(w, r, s, r.PathValue("id"))
	if !ok {
		return
	}
	path := "/keys/" + url.PathEscape(k.ID)
	d.render(w, http.StatusOK, "confirm", d.view(s, a.question, "keys", confirmData{Action: a.name, Question: a.question,
		Warning: a.warning, Post: path + "/" + a.name, Back: path, Target: k.Name + " (" + k.ID + ")"}))
}

func (d *Dashboard) keyAction(w http.ResponseWriter, r *http.Request, s *session) {
	i, ok := keyAction(r.PathValue("action"))
	if !ok {
		d.notFound(w, s, "There is no such page.")
		return
	}
	a := keyActions[i]
	if !s.key.Allows(a.scope) {
		d.forbidden(w, s, "This access key lacks the scope "+a.scope+".")
		return
	}
	id := r.PathValue("id")
	path := "/v1/keys/" + url.PathEscape(id)
	var err error
	var rerolled keyInfo
	switch a.name {
	case "enable", "disable":
		err = d.call(r, s, "PATCH", path, map[string]bool{"enabled": a.name == "enable"}, nil)
	case "reroll":
		err = d.call(r, s, "POST", path+"/reroll", map[string]any{}, &rerolled)
	case "revoke":
		err = d.call(r, s, "DELETE", path, nil, nil)
	}
	status := statusOf(err)
	msg, err := shown(err)
	if err != nil {
		d.failed(w, r, err)
		return
	}
	if msg != "" {
		d.render(w, status, "message", d.view(s, "Not done", "keys", nil).withError(msg))
		return
	}
	if a.name == "reroll" {
		d.render(w, http.StatusCreated, "created", d.view(s, "Key rerolled", "keys", rerolled))
		return
	}
	http.Redirect(w, r, "/keys/"+url.PathEscape(id), http.StatusSeeOther)
}

type accessKeyInfo struct {
	ID         string     `json:"id"`
	Key        string     `json:"key"`
	Start      string     `json:"start"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	Namespaces []string   `json:"namespaces"`
	CreatedAt  *time.Time `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type accessKeysData struct {
	Keys      []accessKeyInfo
	Scopes    []string
	Created   *accessKeyInfo
	Next      string
	FormName  string
	FormNS    string
	FormScope []string
}

func (d *Dashboard) listAccessKeys(r *http.Request, s *session, data *accessKeysData) error {
	target := "/v1/access-keys?limit=100"
	if c := r.URL.Query().Get("cursor"); c != "" {
		target += "&cursor=" + url.QueryEscape(c)
	}
	var out struct {
		AccessKeys []accessKeyInfo `json:"access_keys"`
		Cursor     *string         `json:"cursor"`
	}
	if err := d.call(r, s, "GET", target, nil, &out); err != nil {
		return err
	}
	data.Keys = out.AccessKeys
	if out.Cursor != nil {
		data.Next = "/access-keys?cursor=" + url.QueryEscape(*out.Cursor)
	}
	data.Scopes = access.AllScopes
	return nil
}

func (d *Dashboard) accessKeysPage(w http.ResponseWriter, r *http.Request, s *session) {
	data := accessKeysData{FormNS: "*"}
	if err := d.listAccessKeys(r, s, &data); err != nil {
		d.failed(w, r, err)
		return
	}
	d.render(w, http.StatusOK, "accesskeys", d.view(s, "Access keys", "access", data))
}

func (d *Dashboard) createAccessKey(w http.ResponseWriter, r *http.Request, s *session) {
	data := accessKeysData{FormName: r.PostFormValue("name"), FormNS: r.PostFormValue("namespaces"), FormScope: r.PostForm["scopes"]}
	var namespaces []string
	for _, ns := range strings.Split(data.FormNS, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	if namespaces == nil {
		namespaces = []string{}
	}
	scopes := data.FormScope
	if scopes == nil {
		scopes = []string{}
	}
	var created accessKeyInfo
	err := d.call(r, s, "POST", "/v1/access-keys", map[string]any{"name": data.FormName, "scopes": scopes, "namespaces": namespaces}, &created)
	problem, err := shown(err)
	if err != nil {
		d.failed(w, r, err)
		return
	}
	status := http.StatusCreated
	if problem == "" {
		data.Created = &created
		data.FormName, data.FormNS, data.FormScope = "", "*", nil
	} else {
		status = http.StatusBadRequest
	}
	if err := d.listAccessKeys(r, s, &data); err != nil {
		d.failed(w, r, err)
		return
	}
	v := d.view(s, "Access keys", "access", data)
	v.Error = problem
	d.render(w, status, "accesskeys", v)
}

func (d *Dashboard) confirmRevokeAccessKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	var k accessKeyInfo
	err := d.call(r, s, "GET", "/v1/access-keys/"+url.PathEscape(id), nil, &k)
	if msg, err := shown(err); err != nil {
		d.failed(w, r, err)
		return
	} else if msg != "" {
		d.notFound(w, s, msg)
		return
	}
	d.render(w, http.StatusOK, "confirm", d.view(s, "Revoke this access key?", "access", confirmData{Action: "revoke",
		Question: "Revoke this access key?", Warning: "Every program and browser using it loses access at once. This cannot be undone.",
		Post: "/access-keys/" + url.PathEscape(id) + "/revoke", Back: "/access-keys", Target: k.Name + " (" + k.ID + ")"}))
}

func (d *Dashboard) revokeAccessKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	err := d.call(r, s, "DELETE", "/v1/access-keys/"+url.PathEscape(id), nil, nil)
	if msg, err2 := shown(err); err2 != nil {
		d.failed(w, r, err2)
		return
	} else if msg != "" {
		d.render(w, statusOf(err), "message", d.view(s, "Not done", "access", nil).withError(msg))
		return
	}
	// Its sessions end now; any other would end at its next request.
	if _, err := d.st.DeleteSessions(r.Context(), id, time.Time{}, time.Time{}); err != nil {
		d.failed(w, r, err)
		return
	}
	if id == s.key.ID {
		setCookie(w, r, sessionCookie, "", -1)
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/access-keys", http.StatusSeeOther)
}

type auditData struct {
	Actor, Action, Target, From, To string
	Records                         []auditRecord
	Next                            string
}

func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	data := auditData{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), From: q.Get("from"), To: q.Get("to")}
	api := url.Values{"limit": {"100"}}
	keep := url.Values{}
	for _, p := range []struct{ k, v string }{{"actor", data.Actor}, {"action", data.Action}, {"target", data.Target}} {
		if p.v != "" {
			api.Set(p.k, p.v)
			keep.Set(p.k, p.v)
		}
	}
	problem := ""
	for _, p := range []struct{ k, v string }{{"from", data.From}, {"to", data.To}} {
		if p.v == "" {
			continue
		}
		// The form's datetime-local control sends minutes, in UTC here.
		t, err := time.Parse("2006-01-02T15:04", p.v)
		if err != nil {
			problem = p.k + " must be a date and time such as 2030-01-02T15:04"
			continue
		}
		api.Set(p.k, t.UTC().Format(time.RFC3339))
		keep.Set(p.k, p.v)
	}
	if c := q.Get("cursor"); c != "" {
		api.Set("cursor", c)
	}
	var out struct {
		Records []auditRecord `json:"records"`
		Cursor  *string       `json:"cursor"`
	}
	if problem == "" {
		err := d.call(r, s, "GET", "/v1/audit?"+api.Encode(), nil, &out)
		if problem, err = shown(err); err != nil {
			d.failed(w, r, err)
			return
		}
	}
	data.Records = out.Records
	if out.Cursor != nil {
		keep.Set("cursor", *out.Cursor)
		data.Next = "/audit?" + keep.Encode()
	}
	v := d.view(s, "Audit log", "audit", data)
	v.Error = problem
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	d.render(w, status, "audit", v)
}

type purposeCounts struct {
	Purpose string
	S       series
}

type tokensData struct {
	Range     string
	Ranges    []string
	Analytics bool
	Tokens    []purposeCounts
	Codes     []purposeCounts
	Revoked   *int64
	Purpose   string
	Subject   string
}

// maxPurposes caps the purposes the tokens page breaks down.
const maxPurposes = 20

func (d *Dashboard) byPurpose(r *http.Request, s *session, kind, rg string) ([]purposeCounts, error) {
	all, ok, err := d.usage(r, s, kind, rg, "purpose", nil)
	if err != nil || !ok {
		return nil, err
	}
	var out []purposeCounts
	for _, p := range all.Groups {
		if len(out) == maxPurposes {
			break
		}
		ps, _, err := d.usage(r, s, kind, rg, "outcome", url.Values{"purpose": {p}})
		if err != nil {
			return nil, err
		}
		out = append(out, purposeCounts{Purpose: p, S: ps})
	}
	return out, nil
}

func (d *Dashboard) tokensPage(w http.ResponseWriter, r *http.Request, s *session) {
	d.renderTokens(w, r, s, http.StatusOK, tokensData{}, "")
}

func (d *Dashboard) renderTokens(w http.ResponseWriter, r *http.Request, s *session, status int, data tokensData, problem string) {
	data.Range, data.Ranges = r.URL.Query().Get("range"), rangeNames()
	if !slices.Contains(data.Ranges, data.Range) {
		data.Range = "7d"
	}
	data.Analytics = s.key.Allows(access.AnalyticsRead)
	var err error
	if data.Tokens, err = d.byPurpose(r, s, "tokens", data.Range); err == nil {
		data.Codes, err = d.byPurpose(r, s, "codes", data.Range)
	}
	if err != nil {
		d.failed(w, r, err)
		return
	}
	v := d.view(s, "Tokens and codes", "tokens", data)
	v.Error = problem
	d.render(w, status, "tokens", v)
}

func (d *Dashboard) revokeTokens(w http.ResponseWriter, r *http.Request, s *session) {
	data := tokensData{Purpose: r.PostFormValue("purpose"), Subject: r.PostFormValue("subject")}
	var out struct {
		Revoked int64 `json:"revoked"`
	}
	err := d.call(r, s, "DELETE", "/v1/tokens?"+url.Values{"purpose": {data.Purpose}, "subject": {data.Subject}}.Encode(), nil, &out)
	problem, err := shown(err)
	if err != nil {
		d.failed(w, r, err)
		return
	}
	status := http.StatusOK
	if problem == "" {
		data.Revoked = &out.Revoked
	} else {
		status = http.StatusBadRequest
	}
	d.renderTokens(w, r, s, status, data, problem)
}
