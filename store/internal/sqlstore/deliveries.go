package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

const deliveryCols = `id, secret_id, kind, channel, recipient, purpose, template, locale, data, sealed, status,
	attempts, max_attempts, last_error, created_at, next_at, expires_at, sent_at, lease, lease_until`

func (c *Core) scanDelivery(row Row) (store.Delivery, error) {
	var d store.Delivery
	var data, lease *string
	var attempts, maxAttempts, created, next, expires int64
	var sent, leaseUntil *int64
	if err := row.Scan(&d.ID, &d.SecretID, &d.Kind, &d.Channel, &d.Recipient, &d.Purpose, &d.Template, &d.Locale, &data, &d.Sealed, &d.Status,
		&attempts, &maxAttempts, &d.LastError, &created, &next, &expires, &sent, &lease, &leaseUntil); err != nil {
		return store.Delivery{}, c.row("delivery", err)
	}
	d.Data = bytesOf(data)
	if lease != nil {
		d.Lease = *lease
	}
	d.Attempts, d.MaxAttempts = int(attempts), int(maxAttempts)
	d.CreatedAt, d.NextAt, d.ExpiresAt = fromMillis(&created), fromMillis(&next), fromMillis(&expires)
	d.SentAt, d.LeaseUntil = fromMillis(sent), fromMillis(leaseUntil)
	return d, nil
}

// insertDelivery inserts d, if any, in the transaction q of its secret.
func (c *Core) insertDelivery(ctx context.Context, q Querier, d *store.Delivery) error {
	if d == nil {
		return nil
	}
	status := d.Status
	if status == "" {
		status = store.DeliveryQueued
	}
	next := d.NextAt
	if next.IsZero() {
		next = d.CreatedAt
	}
	_, err := q.Exec(ctx, `INSERT INTO deliveries (`+deliveryCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, '', $13, $14, $15, NULL, NULL, NULL)`,
		d.ID, d.SecretID, d.Kind, d.Channel, d.Recipient, d.Purpose, d.Template, d.Locale, text(d.Data), d.Sealed, status,
		d.MaxAttempts, d.CreatedAt.UnixMilli(), next.UnixMilli(), d.ExpiresAt.UnixMilli())
	return c.insertErr("insert delivery", err)
}

// EndDeliveries ends, in one transaction, the jobs that can no longer be
// sent.
func (c *Core) EndDeliveries(ctx context.Context, now time.Time) ([]store.EndedDelivery, error) {
	ms := now.UnixMilli()
	var ended []store.EndedDelivery
	err := c.b.Tx(ctx, func(q Querier) error {
		ended = ended[:0] // a retried transaction starts again
		end := func(op, status, stmt string) error {
			rows, err := q.Query(ctx, stmt+` RETURNING channel`, ms)
			if err != nil {
				return c.errorf(op, err)
			}
			defer rows.Close()
			for rows.Next() {
				var ch string
				if err := rows.Scan(&ch); err != nil {
					return c.errorf(op, err)
				}
				ended = append(ended, store.EndedDelivery{Channel: ch, Status: status})
			}
			if err := rows.Err(); err != nil {
				return c.errorf(op, err)
			}
			return nil
		}
		// A job under a live lease is left to its holder, which finds the
		// expiry itself.
		if err := end("expire deliveries", store.DeliveryExpired, `UPDATE deliveries SET status = 'expired', sealed = NULL, lease = NULL, lease_until = NULL
			WHERE status IN ('queued', 'sending') AND expires_at <= $1 AND (status = 'queued' OR lease_until <= $1)`); err != nil {
			return err
		}
		// A code replaced by a newer one or already approved, a token used
		// or revoked: sending it would only mislead.
		if err := end("expire deliveries", store.DeliveryExpired, `UPDATE deliveries SET status = 'expired', sealed = NULL, lease = NULL, lease_until = NULL,
				last_error = 'the secret was replaced, used or revoked before it was sent'
			WHERE status IN ('queued', 'sending') AND (status = 'queued' OR lease_until <= $1) AND `+staleSecret); err != nil {
			return err
		}
		return end("fail deliveries", store.DeliveryFailed, `UPDATE deliveries SET status = 'failed', sealed = NULL, lease = NULL, lease_until = NULL,
				last_error = 'the dispatcher stopped during the last attempt'
			WHERE status = 'sending' AND lease_until <= $1 AND attempts >= max_attempts`)
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// staleSecret holds for a delivery whose code was replaced or approved, or
// whose token was used or revoked.
const staleSecret = `(
	(kind = 'code' AND EXISTS (SELECT 1 FROM codes WHERE codes.id = deliveries.secret_id
		AND (codes.cancelled_at IS NOT NULL OR codes.approved_at IS NOT NULL)))
	OR (kind = 'link' AND EXISTS (SELECT 1 FROM tokens WHERE tokens.id = deliveries.secret_id
		AND (tokens.used_at IS NOT NULL OR tokens.revoked_at IS NOT NULL))))`

// ClaimDeliveries leases the due jobs that can still be sent, in one
// statement.
func (c *Core) ClaimDeliveries(ctx context.Context, lease string, now, leaseUntil time.Time, limit int) ([]store.Delivery, error) {
	ms := now.UnixMilli()
	rows, err := c.w.Query(ctx, `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease = $1, lease_until = $2
		WHERE id IN (SELECT id FROM deliveries
			WHERE ((status = 'queued' AND next_at <= $3) OR (status = 'sending' AND lease_until <= $3))
				AND expires_at > $3 AND attempts < max_attempts AND NOT `+staleSecret+`
			ORDER BY next_at LIMIT $4`+c.d.SkipLocked+`)
		RETURNING `+deliveryCols, lease, leaseUntil.UnixMilli(), ms, limit)
	if err != nil {
		return nil, c.errorf("claim deliveries", err)
	}
	defer rows.Close()
	var ds []store.Delivery
	for rows.Next() {
		d, err := c.scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf("claim deliveries", err)
	}
	// RETURNING keeps no order: give the jobs in the order they fell due.
	slices.SortFunc(ds, func(a, b store.Delivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), strings.Compare(a.ID, b.ID))
	})
	return ds, nil
}

// FinishDelivery records how a claimed job ended, if the claim still holds.
func (c *Core) FinishDelivery(ctx context.Context, id, lease string, r store.DeliveryResult) (bool, error) {
	n, err := c.finish(ctx, c.w, id, lease, r)
	return n == 1, err
}

// FinishDeliveries records how claimed jobs ended, in one statement.
func (c *Core) FinishDeliveries(ctx context.Context, lease string, rs map[string]store.DeliveryResult) ([]string, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(rs))
	for id := range rs {
		ids = append(ids, id)
	}
	slices.Sort(ids) // the same statement for the same jobs
	// Both databases name the columns of a VALUES list column1, column2, …
	var values strings.Builder
	args := make([]any, 0, 1+5*len(ids))
	args = append(args, lease)
	for i, id := range ids {
		r := rs[id]
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, CAST($%d AS BIGINT), CAST($%d AS BIGINT), $%d)", n+1, n+2, n+3, n+4, n+5)
		var next any
		if r.Status == store.DeliveryQueued {
			next = r.NextAt.UnixMilli()
		}
		args = append(args, id, r.Status, next, millis(r.SentAt), r.LastError)
	}
	rows, err := c.w.Query(ctx, `UPDATE deliveries SET status = v.column2,
			next_at = CASE WHEN v.column2 = 'queued' THEN v.column3 ELSE deliveries.next_at END,
			sent_at = CASE WHEN v.column2 = 'queued' THEN deliveries.sent_at ELSE v.column4 END,
			sealed = CASE WHEN v.column2 = 'queued' THEN deliveries.sealed ELSE NULL END,
			last_error = v.column5, lease = NULL, lease_until = NULL
		FROM (VALUES `+values.String()+`) AS v
		WHERE deliveries.id = v.column1 AND deliveries.lease = $1
		RETURNING deliveries.id`, args...)
	if err != nil {
		return nil, c.errorf("finish deliveries", err)
	}
	defer rows.Close()
	var done []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, c.errorf("finish deliveries", err)
		}
		done = append(done, id)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf("finish deliveries", err)
	}
	return done, nil
}

func (c *Core) finish(ctx context.Context, q Querier, id, lease string, r store.DeliveryResult) (int64, error) {
	var n int64
	var err error
	if r.Status == store.DeliveryQueued {
		n, err = q.Exec(ctx, `UPDATE deliveries SET status = 'queued', next_at = $3, last_error = $4, lease = NULL, lease_until = NULL
			WHERE id = $1 AND lease = $2`, id, lease, r.NextAt.UnixMilli(), r.LastError)
	} else {
		n, err = q.Exec(ctx, `UPDATE deliveries SET status = $3, sent_at = $4, last_error = $5, sealed = NULL, lease = NULL, lease_until = NULL
			WHERE id = $1 AND lease = $2`, id, lease, r.Status, millis(r.SentAt), r.LastError)
	}
	if err != nil {
		return 0, c.errorf("finish delivery", err)
	}
	return n, nil
}

// DeliveryByID returns the delivery with this id.
func (c *Core) DeliveryByID(ctx context.Context, id string) (store.Delivery, error) {
	return c.scanDelivery(c.r.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
}
