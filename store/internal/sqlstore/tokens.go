package sqlstore

import (
	"context"
	"time"

	"github.com/unguessable/secrets/store"
)

const tokenCols = "id, hash, purpose, subject, meta, created_at, expires_at, used_at, revoked_at"

func (c *Core) scanToken(row Row) (store.Token, error) {
	var t store.Token
	var meta *string
	var created, expires int64
	var used, revoked *int64
	if err := row.Scan(&t.ID, &t.Hash, &t.Purpose, &t.Subject, &meta, &created, &expires, &used, &revoked); err != nil {
		return store.Token{}, c.row("token", err)
	}
	t.Meta = bytesOf(meta)
	t.CreatedAt, t.ExpiresAt = fromMillis(&created), fromMillis(&expires)
	t.UsedAt, t.RevokedAt = fromMillis(used), fromMillis(revoked)
	return t, nil
}

// RevokeTokensSQL revokes at $1 the live tokens of purpose $2 and subject
// $3. Its WHERE is the predicate of the partial index tokens_live, so it
// reads the subject's live tokens alone, never its history of used and
// revoked ones (the backends' tests check the plan).
const RevokeTokensSQL = `UPDATE tokens SET revoked_at = $1
	WHERE purpose = $2 AND subject = $3 AND used_at IS NULL AND revoked_at IS NULL`

// InsertToken stores t, revoking the subject's unused tokens first if asked.
func (c *Core) InsertToken(ctx context.Context, t store.Token, revokeOthers bool) error {
	return c.b.SecretTx(ctx, func(q Querier) error {
		if revokeOthers {
			// Serialise issues to one purpose and subject, so that the
			// revocation sees every earlier token and one token stays live.
			if err := c.b.LockSubject(ctx, q, LockTokens, t.Purpose, t.Subject); err != nil {
				return c.errorf("lock subject", err)
			}
			if _, err := q.Exec(ctx, RevokeTokensSQL, t.CreatedAt.UnixMilli(), t.Purpose, t.Subject); err != nil {
				return c.errorf("revoke tokens", err)
			}
		}
		_, err := q.Exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)`,
			t.ID, t.Hash, t.Purpose, t.Subject, text(t.Meta), t.CreatedAt.UnixMilli(), t.ExpiresAt.UnixMilli())
		if err != nil {
			return c.insertErr("insert token", err)
		}
		return c.insertDelivery(ctx, q, t.Delivery)
	})
}

const tokenByHash = `SELECT ` + tokenCols + ` FROM tokens WHERE hash = $1 AND purpose = $2`

// GetToken returns the token with this purpose and hash.
func (c *Core) GetToken(ctx context.Context, purpose string, hash []byte) (store.Token, error) {
	return c.scanToken(c.r.QueryRow(ctx, tokenByHash, hash, purpose))
}

// RedeemToken marks the token used if it is still redeemable at now.
func (c *Core) RedeemToken(ctx context.Context, purpose string, hash []byte, now time.Time) (store.Token, bool, error) {
	t, err := c.scanToken(c.w.QueryRow(ctx, `UPDATE tokens SET used_at = $1
		WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
		RETURNING `+tokenCols, now.UnixMilli(), hash, purpose))
	if err != store.ErrNotFound {
		return t, err == nil, err
	}
	// Read through the writer: the answer must not predate the refusal.
	t, err = c.scanToken(c.w.QueryRow(ctx, tokenByHash, hash, purpose))
	return t, false, err
}

// RevokeTokens revokes the subject's unused tokens for purpose. It takes
// the subject's lock, as an issue does: otherwise, on PostgreSQL, an update
// that waited for an issue's revocation of the earlier tokens would skip
// them and miss the new token, answering 0 although a token was
// live when it began.
func (c *Core) RevokeTokens(ctx context.Context, purpose, subject string, now time.Time) (int64, error) {
	var n int64
	err := c.b.SecretTx(ctx, func(q Querier) error {
		if err := c.b.LockSubject(ctx, q, LockTokens, purpose, subject); err != nil {
			return c.errorf("lock subject", err)
		}
		var err error
		n, err = q.Exec(ctx, RevokeTokensSQL, now.UnixMilli(), purpose, subject)
		if err != nil {
			return c.errorf("revoke tokens", err)
		}
		return nil
	})
	return n, err
}
