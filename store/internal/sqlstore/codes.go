package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

const codeCols = "id, purpose, subject, mac, created_at, expires_at, attempts, max_attempts, approved_at, cancelled_at, pepper_id, digits, budget_limit, budget_window"

func (c *Core) scanCode(row Row) (store.Code, error) {
	var cd store.Code
	var created, expires, attempts, maxAttempts, digits, budgetLimit, budgetWindow int64
	var approved, cancelled *int64
	if err := row.Scan(&cd.ID, &cd.Purpose, &cd.Subject, &cd.MAC, &created, &expires, &attempts, &maxAttempts, &approved, &cancelled, &cd.PepperID,
		&digits, &budgetLimit, &budgetWindow); err != nil {
		return store.Code{}, c.row("code", err)
	}
	cd.Attempts, cd.MaxAttempts = int(attempts), int(maxAttempts)
	cd.Digits, cd.BudgetLimit, cd.BudgetWindow = int(digits), int(budgetLimit), time.Duration(budgetWindow)*time.Millisecond
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
		_, err = q.Exec(ctx, `INSERT INTO codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, NULL, NULL, $8, $9, $10, $11)`,
			cd.ID, cd.Purpose, cd.Subject, cd.MAC, now, cd.ExpiresAt.UnixMilli(), cd.MaxAttempts, cd.PepperID,
			cd.Digits, cd.BudgetLimit, cd.BudgetWindow.Milliseconds())
		if err != nil {
			return c.insertErr("insert code", err)
		}
		return c.insertDelivery(ctx, q, cd.Delivery)
	})
	return retryAt, err
}

const latestCode = `(SELECT id FROM codes WHERE purpose = $1 AND subject = $2 AND cancelled_at IS NULL
	ORDER BY created_at DESC, id DESC LIMIT 1)`

// CheckCode counts one attempt against the subject's current code, within
// the subject's failure budget, in one transaction. The budget's row is
// written first, which serialises the checks of one purpose and subject
// (a row lock in PostgreSQL; SQLite has one writer), so the budget read is
// the one the attempt is counted against.
func (c *Core) CheckCode(ctx context.Context, purpose, subject string, a store.CodeAttempt, now time.Time) (store.Code, store.CodeCheck, error) {
	var cd store.Code
	var res store.CodeCheck
	ms := now.UnixMilli()
	err := c.b.Tx(ctx, func(q Querier) error {
		res = store.CodeCheck{}
		var end, failures int64
		if err := q.QueryRow(ctx, `INSERT INTO code_budgets (purpose, subject, window_end, failures) VALUES ($1, $2, 0, 0)
			ON CONFLICT (purpose, subject) DO UPDATE SET failures = code_budgets.failures
			RETURNING window_end, failures`, purpose, subject).Scan(&end, &failures); err != nil {
			return c.errorf("read failure budget", err)
		}
		if ms >= end {
			end, failures = 0, 0 // the window is over
		}
		// One term for each pepper: the code's pepper and MAC both match.
		args := []any{purpose, subject, ms, a.Digits, end, failures}
		var match strings.Builder
		for _, m := range a.MACs {
			args = append(args, m.PepperID, m.MAC)
			if match.Len() > 0 {
				match.WriteString(" OR ")
			}
			fmt.Fprintf(&match, "((pepper_id = $%d OR pepper_id = '') AND mac = $%d)", len(args)-1, len(args))
		}
		if match.Len() == 0 {
			match.WriteString("FALSE")
		}
		var err error
		cd, err = c.scanCode(q.QueryRow(ctx, `UPDATE codes SET attempts = attempts + 1,
				approved_at = CASE WHEN `+match.String()+` THEN CAST($3 AS BIGINT) ELSE NULL END
			WHERE id = `+latestCode+`
				AND cancelled_at IS NULL AND approved_at IS NULL AND expires_at > CAST($3 AS BIGINT) AND attempts < max_attempts
				AND CAST($4 AS BIGINT) > 0 AND (digits = 0 OR digits = CAST($4 AS BIGINT))
				AND NOT (CAST($3 AS BIGINT) < CAST($5 AS BIGINT) AND CAST($6 AS BIGINT) >= budget_limit)
			RETURNING `+codeCols, args...))
		if err == store.ErrNotFound {
			res.Failures, res.BudgetEnd = int(failures), fromMillis(&end)
			cd, err = c.scanCode(q.QueryRow(ctx, `SELECT `+codeCols+` FROM codes WHERE id = `+latestCode, purpose, subject))
			return err
		}
		if err != nil {
			return err
		}
		res.Counted, res.Approved = true, !cd.ApprovedAt.IsZero()
		if !res.Approved {
			if end == 0 {
				end = ms + cd.BudgetWindow.Milliseconds()
			}
			failures++
			if _, err := q.Exec(ctx, `UPDATE code_budgets SET window_end = $3, failures = $4 WHERE purpose = $1 AND subject = $2`,
				purpose, subject, end, failures); err != nil {
				return c.errorf("count failure", err)
			}
		}
		res.Failures, res.BudgetEnd = int(failures), fromMillis(&end)
		return nil
	})
	if err != nil {
		return store.Code{}, store.CodeCheck{}, err
	}
	return cd, res, nil
}
