package sqlite

import (
	"fmt"

	zsqlite "zombiezen.com/go/sqlite"

	"github.com/unguessable/secrets/store"
	"github.com/unguessable/secrets/store/internal/sqlstore"
)

// reader is a read-only connection for the one read that decides every
// plain-key verification: the key with a given hash. It talks to SQLite
// through zombiezen.com/go/sqlite, a direct API over the same pure-Go
// SQLite that the database/sql driver wraps, for two costs that dominate a
// point read through database/sql: the driver asks SQLite for every
// column's name and declared type on every query, and it opens connections
// in serialized mode, so that each column read takes and releases the
// connection's mutex. A reader belongs to one goroutine at a time (the
// lookup worker that took it), so it opens its connection without a mutex.
type reader struct {
	conn          *zsqlite.Conn
	byHash        *zsqlite.Stmt // SELECT KeyLookupCols FROM api_keys WHERE hash = $1
	begin, commit *zsqlite.Stmt
}

// openReader opens a reader on the database file at path, which Open has
// already created and migrated.
func openReader(path string) (_ *reader, err error) {
	conn, err := zsqlite.OpenConn(fileURI(path), zsqlite.OpenReadWrite|zsqlite.OpenURI|zsqlite.OpenNoMutex)
	if err != nil {
		return nil, fmt.Errorf("key lookup: open: %w", err)
	}
	r := &reader{conn: conn}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	conn.SetBusyTimeout(BusyTimeout)
	// query_only, like the database/sql read pool: this connection can
	// open the WAL file's shared memory, but never writes.
	q, err := conn.Prepare("PRAGMA query_only = 1")
	if err != nil {
		return nil, fmt.Errorf("key lookup: %w", err)
	}
	if _, err := q.Step(); err != nil {
		return nil, fmt.Errorf("key lookup: query_only: %w", err)
	}
	// Read the database file through a memory map rather than a read call
	// per page: a key's hash is at a random place in its index, so with many
	// keys most lookups miss the connection's own page cache (2 MB), and a
	// read call per page missed made a lookup among a million keys cost
	// 1.5x the CPU of one among a thousand (BenchmarkKeyByHashFilled;
	// 1.25x with the map). The map is shared with the operating system's
	// cache, so the readers do not each hold a copy. SQLite limits the size
	// to its compile-time maximum (2 GiB here); pages past it are read as
	// before.
	if err := exec(conn, fmt.Sprintf("PRAGMA mmap_size = %d", int64(MmapSize))); err != nil {
		return nil, fmt.Errorf("key lookup: mmap_size: %w", err)
	}
	for _, p := range []struct {
		st  **zsqlite.Stmt
		sql string
	}{{&r.byHash, `SELECT ` + sqlstore.KeyLookupCols + ` FROM api_keys WHERE hash = $1`}, {&r.begin, "BEGIN"}, {&r.commit, "COMMIT"}} {
		if *p.st, err = conn.Prepare(p.sql); err != nil {
			return nil, fmt.Errorf("key lookup: prepare: %w", err)
		}
	}
	return r, nil
}

func (r *reader) close() {
	if r.conn != nil {
		r.conn.Close() // finalises the prepared statements
	}
	*r = reader{}
}

// keys reads the keys with these hashes. Several are read in one read
// transaction: one snapshot and one round of WAL locking for the batch.
func (r *reader) keys(core *sqlstore.Core, hashes []string) (map[string]store.Key, error) {
	found := make(map[string]store.Key, len(hashes))
	if len(hashes) > 1 {
		if _, err := r.begin.Step(); err != nil {
			r.begin.Reset()
			return nil, fmt.Errorf("key lookup: begin: %w", err)
		}
		r.begin.Reset()
		defer func() {
			r.commit.Step() // ends a read: nothing to lose
			r.commit.Reset()
		}()
	}
	for _, h := range hashes {
		if len(h) == 0 {
			continue // no stored hash is empty
		}
		k, ok, err := r.key(core, h)
		if err != nil {
			return nil, err
		}
		if ok {
			found[h] = k
		}
	}
	return found, nil
}

func (r *reader) key(core *sqlstore.Core, hash string) (store.Key, bool, error) {
	st := r.byHash
	defer st.Reset()
	st.BindBytes(1, []byte(hash))
	row, err := st.Step()
	if err != nil {
		// SQLite's messages name tables, columns and statements, never
		// bound values, so no hash reaches them.
		return store.Key{}, false, fmt.Errorf("key lookup: %w", err)
	}
	if !row {
		return store.Key{}, false, nil
	}
	k, err := core.ScanKeyLookup(stmtRow{st})
	return k, err == nil, err
}

// stmtRow reads the current row of a statement as a sqlstore.Row, for the
// types that sqlstore's scan functions ask for; values are copied.
type stmtRow struct{ st *zsqlite.Stmt }

func (s stmtRow) Scan(dest ...any) error {
	for i, d := range dest {
		null := s.st.ColumnType(i) == zsqlite.TypeNull
		switch d := d.(type) {
		case *string:
			*d = s.st.ColumnText(i)
		case **string:
			*d = nil
			if !null {
				v := s.st.ColumnText(i)
				*d = &v
			}
		case *[]byte:
			*d = nil
			if n := s.st.ColumnLen(i); !null && n > 0 {
				*d = make([]byte, n)
				s.st.ColumnBytes(i, *d)
			}
		case *int64:
			*d = s.st.ColumnInt64(i)
		case **int64:
			*d = nil
			if !null {
				v := s.st.ColumnInt64(i)
				*d = &v
			}
		case *bool:
			*d = s.st.ColumnInt64(i) != 0
		default:
			return fmt.Errorf("key lookup: cannot scan column %d into %T", i, d)
		}
	}
	return nil
}

// MmapSize is the most of the database file that a key lookup connection
// maps into memory.
const MmapSize = 1 << 31

// exec runs a statement on conn, stepping through any rows it returns.
func exec(conn *zsqlite.Conn, sql string) error {
	st, err := conn.Prepare(sql)
	if err != nil {
		return err
	}
	defer st.Finalize()
	for {
		row, err := st.Step()
		if err != nil || !row {
			return err
		}
	}
}
