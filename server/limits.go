package server

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/unguessable/secrets/keys"
)

// refillJSON is a key's refill: its remaining uses are set to amount daily
// at 00:00 UTC, or monthly at 00:00 UTC on day (1 to 31, default 1; the
// last day of shorter months).
type refillJSON struct {
	Interval string `json:"interval"`
	Amount   int64  `json:"amount"`
	Day      *int   `json:"day,omitzero"`
}

// namedRateLimitJSON is a named rate limit: at most limit uses per window
// seconds.
type namedRateLimitJSON struct {
	Name   string `json:"name"`
	Limit  int64  `json:"limit"`
	Window int64  `json:"window"`
}

// limitCostJSON names a rate limit for a verification to spend from.
type limitCostJSON struct {
	Name string `json:"name"`
	Cost *int64 `json:"cost"` // nil: the verification's cost
}

// namedLimitState is a named rate limit as of a verification.
type namedLimitState struct {
	Name      string    `json:"name"`
	Scope     string    `json:"scope"` // "key" or "owner"
	Limit     int64     `json:"limit"`
	Remaining int64     `json:"remaining"`
	Reset     timestamp `json:"reset"`
}

// refillState is a key's refill as of a verification.
type refillState struct {
	Interval     string    `json:"interval"`
	Amount       int64     `json:"amount"`
	Day          int       `json:"day,omitzero"`
	Remaining    int64     `json:"remaining"`
	NextRefillAt timestamp `json:"next_refill_at"`
}

func (r *refillJSON) refill(field string) (*keys.Refill, error) {
	if r == nil {
		return nil, nil
	}
	if r.Interval != keys.RefillDaily && r.Interval != keys.RefillMonthly {
		return nil, invalid(field+".interval", "%s.interval must be \"daily\" or \"monthly\"", field)
	}
	if r.Amount < 1 || r.Amount > keys.MaxRefillAmount {
		return nil, invalid(field+".amount", "%s.amount must be between 1 and %d", field, int64(keys.MaxRefillAmount))
	}
	out := &keys.Refill{Interval: r.Interval, Amount: r.Amount}
	if r.Day != nil {
		if r.Interval != keys.RefillMonthly || *r.Day < 1 || *r.Day > 31 {
			return nil, invalid(field+".day", "%s.day is for a monthly refill only, from 1 to 31 (a day past a month's end means its last day)", field)
		}
		out.Day = *r.Day
	}
	return out, nil
}

func refillOut(r *keys.Refill) *refillJSON {
	if r == nil {
		return nil
	}
	out := &refillJSON{Interval: r.Interval, Amount: r.Amount}
	if r.Interval == keys.RefillMonthly {
		d := r.Day
		out.Day = &d
	}
	return out
}

// namedRateLimits checks and converts the named rate limits of a request.
func namedRateLimits(field string, ls []namedRateLimitJSON) ([]keys.NamedRateLimit, error) {
	if len(ls) > keys.MaxRateLimits {
		return nil, invalid(field, "%s has %d rate limits, at most %d", field, len(ls), keys.MaxRateLimits)
	}
	out := make([]keys.NamedRateLimit, len(ls))
	for i, l := range ls {
		f := fmt.Sprintf("%s[%d]", field, i)
		if l.Limit < 1 || l.Limit > keys.MaxRateLimit {
			return nil, invalid(f+".limit", "%s.limit must be between 1 and %d", f, int64(keys.MaxRateLimit))
		}
		window, err := seconds(f+".window", l.Window, 1, maxWindowSeconds)
		if err != nil {
			return nil, err
		}
		out[i] = keys.NamedRateLimit{Name: l.Name, Limit: l.Limit, Window: window}
	}
	return out, nil
}

func namedRateLimitsOut(ls []keys.NamedRateLimit) []namedRateLimitJSON {
	out := make([]namedRateLimitJSON, len(ls))
	for i, l := range ls {
		out[i] = namedRateLimitJSON{Name: l.Name, Limit: l.Limit, Window: int64(l.Window / time.Second)}
	}
	return out
}

// limitCosts converts a verification's named rate limits; a limit without
// a cost costs what the verification does.
func limitCosts(ls []limitCostJSON, cost int64) []keys.LimitCost {
	if ls == nil {
		return nil
	}
	out := make([]keys.LimitCost, len(ls))
	for i, l := range ls {
		out[i] = keys.LimitCost{Name: l.Name, Cost: cost}
		if l.Cost != nil {
			out[i].Cost = *l.Cost
		}
	}
	return out
}

// limitStatesOut is the named rate limits of a verification's answer.
func limitStatesOut(ls []keys.LimitState) []namedLimitState {
	if len(ls) == 0 {
		return nil
	}
	out := make([]namedLimitState, len(ls))
	for i, l := range ls {
		scope := "key"
		if l.Owner {
			scope = "owner"
		}
		out[i] = namedLimitState{Name: l.Name, Scope: scope, Limit: l.Limit, Remaining: l.Remaining, Reset: timestamp(l.Reset)}
	}
	return out
}

func refillStateOut(res keys.Result) *refillState {
	r := res.Refill
	if r == nil {
		return nil
	}
	out := &refillState{Interval: r.Interval, Amount: r.Amount, NextRefillAt: timestamp(r.Next)}
	if r.Interval == keys.RefillMonthly {
		out.Day = r.Day
	}
	if res.Remaining != nil {
		out.Remaining = *res.Remaining
	}
	return out
}

// appendLimitsJSON writes the named rate limits and the refill of a
// verification's answer, as the library would.
func (r verifyKeyResponse) appendLimitsJSON(b []byte) []byte {
	if r.RateLimits != nil {
		b = append(b, `,"ratelimits":[`...)
		for i, l := range r.RateLimits {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, l.Name)
			b = append(b, `,"scope":`...)
			b = appendString(b, l.Scope)
			b = append(b, `,"limit":`...)
			b = strconv.AppendInt(b, l.Limit, 10)
			b = append(b, `,"remaining":`...)
			b = strconv.AppendInt(b, l.Remaining, 10)
			b = append(b, `,"reset":`...)
			b = appendTime(b, time.Time(l.Reset))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if f := r.Refill; f != nil {
		b = append(b, `,"refill":{"interval":`...)
		b = appendString(b, f.Interval)
		b = append(b, `,"amount":`...)
		b = strconv.AppendInt(b, f.Amount, 10)
		if f.Day != 0 {
			b = append(b, `,"day":`...)
			b = strconv.AppendInt(b, int64(f.Day), 10)
		}
		b = append(b, `,"remaining":`...)
		b = strconv.AppendInt(b, f.Remaining, 10)
		b = append(b, `,"next_refill_at":`...)
		b = appendTime(b, time.Time(f.NextRefillAt))
		b = append(b, '}')
	}
	return b
}

// decodeRefill decodes a PATCH's refill: null removes it.
func decodeRefill(raw jsontext.Value) (*keys.Refill, error) {
	if isNull(raw) {
		return nil, nil
	}
	var r refillJSON
	if err := json.Unmarshal(raw, &r, decodeOptions); err != nil {
		return nil, nestedJSONError("refill", err,
			invalid("refill", "refill must be an object such as {\"interval\": \"monthly\", \"amount\": 1000, \"day\": 1}, or null to remove it"))
	}
	return r.refill("refill")
}

// updateLimits sets the refill and named rate limits of a PATCH.
func updateLimits(u *keys.Update, req updateKeyRequest) error {
	if req.Refill != nil {
		r, err := decodeRefill(req.Refill)
		if err != nil {
			return err
		}
		u.SetRefill, u.Refill = true, r
	}
	if req.RateLimits != nil {
		var ls []namedRateLimitJSON
		if !isNull(req.RateLimits) {
			if err := json.Unmarshal(req.RateLimits, &ls, decodeOptions); err != nil {
				return nestedJSONError("ratelimits", err,
					invalid("ratelimits", "ratelimits must be an array of {\"name\", \"limit\", \"window\"}; [] or null removes them"))
			}
		}
		named, err := namedRateLimits("ratelimits", ls)
		if err != nil {
			return err
		}
		u.SetRateLimits, u.RateLimits = true, named
	}
	return nil
}
