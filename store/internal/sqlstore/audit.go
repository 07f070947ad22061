package sqlstore

import (
	"context"
	"strings"

	"github.com/unguessable/secrets/store"
)

const auditCols = "id, at, actor_id, actor_name, action, target, namespace, outcome, request_id"

// AppendAudit appends r to the audit trail.
func (c *Core) AppendAudit(ctx context.Context, r store.AuditRecord) error {
	_, err := c.w.Exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.At.UnixMilli(), r.ActorID, r.ActorName, r.Action, r.Target, r.Namespace, r.Outcome, r.RequestID)
	return c.insertErr("append audit record", err)
}

// ListAudit returns the audit records f selects, in id order.
func (c *Core) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	var from, to int64 = 0, 1<<63 - 1
	if !f.From.IsZero() {
		from = f.From.UnixMilli()
	}
	if !f.To.IsZero() {
		to = f.To.UnixMilli()
	}
	where, args := namespaceIn([]string{`(CAST($1 AS TEXT) = '' OR actor_id = $1) AND (CAST($2 AS TEXT) = '' OR action = $2)
			AND (CAST($3 AS TEXT) = '' OR target = $3) AND at >= CAST($4 AS BIGINT) AND at < CAST($5 AS BIGINT) AND id > $6`},
		[]any{f.Actor, f.Action, f.Target, from, to, f.After, f.Limit}, f.Namespaces)
	rows, err := c.r.Query(ctx, `SELECT `+auditCols+` FROM audit_log WHERE `+strings.Join(where, " AND ")+`
		ORDER BY id LIMIT $7`, args...)
	if err != nil {
		return nil, c.errorf("list audit records", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		var r store.AuditRecord
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.ActorID, &r.ActorName, &r.Action, &r.Target, &r.Namespace, &r.Outcome, &r.RequestID); err != nil {
			return nil, c.errorf("list audit records", err)
		}
		r.At = fromMillis(&at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf("list audit records", err)
	}
	return out, nil
}
