package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/unguessable/secrets/store/internal/sqlstore"
)

// ErrFileGone is returned by Ping and by every write when the store's path
// no longer names the file the store opened: the file was deleted, or
// another was moved in its place. SQLite would go on writing to the file
// it has open, which no path reaches any more, and every write since would
// be lost at the next start.
var ErrFileGone = errors.New("sqlite: the database file was deleted or replaced since it was opened")

// checkFile returns ErrFileGone unless the store's path names the file it
// opened (the same device and inode). It costs one stat: it guards writes
// and Ping, never the key lookups.
func (s *SQLite) checkFile() error {
	fi, err := os.Stat(s.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err != nil || !os.SameFile(fi, s.file) {
		return fmt.Errorf("%w: %s", ErrFileGone, s.path)
	}
	return nil
}

// guarded is the writer's Querier behind checkFile: no statement runs on a
// file that the path no longer names.
type guarded struct {
	q sqlstore.Querier
	s *SQLite
}

func (g guarded) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if err := g.s.checkFile(); err != nil {
		return errRow{err}
	}
	return g.q.QueryRow(ctx, query, args...)
}

func (g guarded) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if err := g.s.checkFile(); err != nil {
		return nil, err
	}
	return g.q.Query(ctx, query, args...)
}

func (g guarded) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := g.s.checkFile(); err != nil {
		return 0, err
	}
	return g.q.Exec(ctx, query, args...)
}

// errRow is a Row that fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
