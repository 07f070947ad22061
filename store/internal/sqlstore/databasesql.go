package sqlstore

import (
	"context"
	"database/sql"
)

// SQLConn is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type SQLConn interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// DatabaseSQL is a Querier over a database/sql handle.
func DatabaseSQL(c SQLConn) Querier { return dbsql{c} }

type dbsql struct{ c SQLConn }

func (d dbsql) QueryRow(ctx context.Context, query string, args ...any) Row {
	return d.c.QueryRowContext(ctx, query, args...)
}

func (d dbsql) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := d.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (d dbsql) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
