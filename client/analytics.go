package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// AnalyticsQuery is the query of the GET /v1/analytics routes; zero
// members take the service's defaults (granularity hour, group_by outcome,
// to now, from a span before to) or filter nothing. Namespace, KeyID, Owner
// and Tag apply to verifications, Purpose to codes and tokens, Channel to
// deliveries.
type AnalyticsQuery struct {
	Namespace, KeyID, Owner, Tag string
	Purpose, Channel             string
	From, To                     time.Time
	Granularity                  string // minute, hour or day
	GroupBy                      string // outcome, key, owner, tag, purpose or channel
}

// AnalyticsBucket is the counts of one time bucket, keyed by the group
// value (an outcome, key id, owner, tag, purpose or channel).
type AnalyticsBucket struct {
	Start  time.Time        `json:"start"`
	Counts map[string]int64 `json:"counts"`
}

// Analytics is the answer of the GET /v1/analytics routes: every bucket
// from From up to To, empty ones included.
type Analytics struct {
	Granularity string            `json:"granularity"`
	GroupBy     string            `json:"group_by"`
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Buckets     []AnalyticsBucket `json:"buckets"`
}

// Totals sums the counts of every bucket by group value.
func (a Analytics) Totals() map[string]int64 {
	out := map[string]int64{}
	for _, b := range a.Buckets {
		for k, n := range b.Counts {
			out[k] += n
		}
	}
	return out
}

func (q AnalyticsQuery) values() url.Values {
	v := url.Values{}
	set(v, "namespace", q.Namespace)
	set(v, "key_id", q.KeyID)
	set(v, "owner", q.Owner)
	set(v, "tag", q.Tag)
	set(v, "purpose", q.Purpose)
	set(v, "channel", q.Channel)
	set(v, "granularity", q.Granularity)
	set(v, "group_by", q.GroupBy)
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	return v
}

func (c *Client) analytics(ctx context.Context, kind string, q AnalyticsQuery) (Analytics, error) {
	var a Analytics
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/analytics/" + kind, query: q.values(), out: &a, want: http.StatusOK, safe: true, auth: true})
	return a, err
}

// VerificationAnalytics counts API key verifications over time (scope
// analytics:read). The service sends Purpose and Channel back as a 400.
func (c *Client) VerificationAnalytics(ctx context.Context, q AnalyticsQuery) (Analytics, error) {
	return c.analytics(ctx, "verifications", q)
}

// CodeAnalytics counts code verifications over time (scope analytics:read).
func (c *Client) CodeAnalytics(ctx context.Context, q AnalyticsQuery) (Analytics, error) {
	return c.analytics(ctx, "codes", q)
}

// TokenAnalytics counts token redemptions over time (scope analytics:read).
func (c *Client) TokenAnalytics(ctx context.Context, q AnalyticsQuery) (Analytics, error) {
	return c.analytics(ctx, "tokens", q)
}

// DeliveryAnalytics counts delivery outcomes (sent, failed, expired) over
// time (scope analytics:read).
func (c *Client) DeliveryAnalytics(ctx context.Context, q AnalyticsQuery) (Analytics, error) {
	return c.analytics(ctx, "deliveries", q)
}
