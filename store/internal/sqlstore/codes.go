package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

const codeCols = "id, purpose, subject, mac, created_at, expires_at, attempts, max_attempts, approved_at, cancelled_at, pepper_id"

func (c *Core) scanCode(row Row) (store.Code, error) {
	var cd store.Code
	var created, expires, attempts, maxAttempts int64
	var approved, cancelled *int64
	if err := row.Scan(&cd.ID, &cd.Purpose, &cd.Subject, &cd.MAC, &created, &expires, &attempts, &maxAttempts, &approved, &cancelled, &cd.PepperID); err != nil {
		return store.Code{}, c.row("code", err)
	}
	cd.Attempts, cd.MaxAttempts = int(attempts), int(maxAttempts)
	cd.CreatedAt, cd.ExpiresAt = fromMillis(&created), fromMillis(&expires)
	cd.ApprovedAt, cd.CancelledAt = fromMillis(approved), fromMillis(cancelled)
	return cd, nil
}

// InsertCode stores cd unless the send throttle refuses, cancelling the
// subject's pending code.
func (c *Core) InsertCode(ctx context.Context, cd store.Code, window time.Duration, maxSends int) (time.Time, error) {
	var retryAt time.Time
	err := c.b.SecretTx(ctx, func(q Querier) error {
		// Serialise sends to one purpose and subject across every process.
		if err := c.b.LockSubject(ctx, q, LockCodes, cd.Purpose, cd.Subject); err != nil {
			return c.errorf("lock subject", err)
		}
		now := cd.CreatedAt.UnixMilli()
		rows, err := q.Query(ctx, `SELECT created_at FROM codes
			WHERE purpose = $1 AND subject = $2 AND created_at > $3
			ORDER BY created_at DESC LIMIT $4`, cd.Purpose, cd.Subject, now-window.Milliseconds(), maxSends)
		if err != nil {
			return c.errorf("count codes", err)
		}
		var n int
		var oldest int64
		for rows.Next() {
			if err := rows.Scan(&oldest); err != nil {
				rows.Close()
				return c.errorf("count codes", err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return c.errorf("count codes", err)
		}
		if err := rows.Close(); err != nil {
			return c.errorf("count codes", err)
		}
		if n >= maxSends {
			retryAt = fromMillis(&oldest).Add(window)
			return store.ErrThrottled
		}
		// Approved codes are cancelled too, so that the subject has at most
		// one uncancelled code, even when two share a millisecond.
		if _, err := q.Exec(ctx, `UPDATE codes SET cancelled_at = $1
			WHERE purpose = $2 AND subject = $3 AND cancelled_at IS NULL`, now, cd.Purpose, cd.Subject); err != nil {
			return c.errorf("cancel codes", err)
		}
		_, err = q.Exec(ctx, `INSERT INTO codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL, NULL, $8)`,
			cd.ID, cd.Purpose, cd.Subject, cd.MAC, now, cd.ExpiresAt.UnixMilli(), cd.MaxAttempts, cd.PepperID)
		if err != nil {
			return c.insertErr("insert code", err)
		}
		return c.insertDelivery(ctx, q, cd.Delivery)
	})
	return retryAt, err
}

const latestCode = `(SELECT id FROM codes WHERE purpose = $1 AND subject = $2 AND cancelled_at IS NULL
	ORDER BY created_at DESC, id DESC LIMIT 1)`

// CheckCode counts one attempt against the subject's current code.
func (c *Core) CheckCode(ctx context.Context, purpose, subject string, macs []store.PepperMAC, now time.Time) (store.Code, bool, bool, error) {
	// One term for each pepper: the code's pepper and MAC both match.
	args := []any{purpose, subject, now.UnixMilli()}
	var match strings.Builder
	for _, m := range macs {
		args = append(args, m.PepperID, m.MAC)
		if match.Len() > 0 {
			match.WriteString(" OR ")
		}
		fmt.Fprintf(&match, "((pepper_id = $%d OR pepper_id = '') AND mac = $%d)", len(args)-1, len(args))
	}
	if match.Len() == 0 {
		match.WriteString("FALSE")
	}
	cd, err := c.scanCode(c.w.QueryRow(ctx, `UPDATE codes SET attempts = attempts + 1,
			approved_at = CASE WHEN `+match.String()+` THEN CAST($3 AS BIGINT) ELSE NULL END
		WHERE id = `+latestCode+`
			AND cancelled_at IS NULL AND approved_at IS NULL AND expires_at > CAST($3 AS BIGINT) AND attempts < max_attempts
		RETURNING `+codeCols, args...))
	if err != store.ErrNotFound {
		return cd, err == nil, err == nil && !cd.ApprovedAt.IsZero(), err
	}
	cd, err = c.scanCode(c.w.QueryRow(ctx, `SELECT `+codeCols+` FROM codes WHERE id = `+latestCode, purpose, subject))
	return cd, false, false, err
}
