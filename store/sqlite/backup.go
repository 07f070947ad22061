package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Errors of Backup and Restore.
var (
	// ErrInUse is returned by Restore when a process has the database it
	// would replace open, such as a running secrets serve.
	ErrInUse = errors.New("sqlite: the database is in use")
	// ErrNotBackup is returned by Restore when the file to restore is not
	// a database of this service, or fails SQLite's integrity check.
	ErrNotBackup = errors.New("sqlite: not a backup of a secrets database")
	// ErrForeign is returned by Backup and Restore when the database they
	// would read or replace is not a database of this service.
	ErrForeign = errors.New("not a database of secrets serve")
)

// openFile opens the existing database file at path with database/sql,
// with extra URI parameters (such as "mode=ro"); it never creates one.
func openFile(path string, extra ...string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	for _, e := range extra {
		k, v, _ := strings.Cut(e, "=")
		q.Add(k, v)
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// Backup writes a consistent copy of the database at path to out, a new
// file of mode 0600, while other processes go on using the database. The
// copy is made by VACUUM INTO, in one read transaction: it holds exactly
// what was committed when the backup began, and nothing written after.
// out must not exist; on failure it is removed.
func Backup(ctx context.Context, path, out string) (err error) {
	db, err := openFile(path, "mode=rw")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSecrets(ctx, db, path); err != nil {
		return err
	}
	// VACUUM INTO accepts an empty file: made here, it is the owner's
	// alone from the start (the copy holds every digest and code MAC).
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(out)
		}
	}()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		return fmt.Errorf("sqlite: backup of %s: %w", path, err)
	}
	return syncFile(out)
}

// checkSecrets returns an error unless db is a database this package made.
func checkSecrets(ctx context.Context, db *sql.DB, path string) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'api_keys', 'tokens', 'codes')`).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: %s: %w (%v)", path, ErrForeign, err)
	}
	if n != 4 {
		return fmt.Errorf("sqlite: %s: %w", path, ErrForeign)
	}
	return nil
}

// Restore replaces the database at path with the backup at from (made by
// Backup, or a copy of a database file that no process had open). It
// checks the backup first: a database of this service that passes SQLite's
// integrity check, or ErrNotBackup. It refuses to replace a database that
// a process has open (ErrInUse): stop every server on it first. A path
// that does not exist yet is created. The new file has mode 0600, and
// the backup is left as it was.
func Restore(ctx context.Context, from, path string) error {
	if err := checkBackup(ctx, from); err != nil {
		return err
	}
	var held *sql.Conn
	if _, err := os.Stat(path); err == nil {
		db, err := openFile(path, "mode=rw")
		if err != nil {
			return err
		}
		defer db.Close()
		if held, err = exclusive(ctx, db, path); err != nil {
			return err
		}
		defer held.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		// Left by a process that did not close the database: applied to
		// the restored file, they would corrupt it.
		if _, err := os.Stat(path + side); err == nil {
			if held == nil {
				return fmt.Errorf("%w: %s exists without its database; remove it if no process uses %s", ErrInUse, path+side, path)
			}
		}
	}
	tmp := path + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	if held != nil {
		// The old file's -wal and -shm, if any are left, are the old
		// file's: applied to the restored one they would corrupt it. The
		// exclusive lock keeps every other process off them.
		for _, side := range []string{"-wal", "-shm"} {
			if err := os.Remove(path + side); err != nil && !errors.Is(err, fs.ErrNotExist) {
				os.Remove(tmp)
				return fmt.Errorf("sqlite: restore: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// exclusive returns a connection to db that holds the database file
// exclusively, or ErrInUse. Leaving WAL mode needs every other connection
// to the file closed, so it fails while any process has it open; the
// exclusive transaction then keeps new ones out until the connection is
// closed.
func exclusive(ctx context.Context, db *sql.DB, path string) (*sql.Conn, error) {
	if err := checkSecrets(ctx, db, path); err != nil {
		return nil, fmt.Errorf("%w; refusing to replace it", err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	var mode string
	if _, err := c.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err == nil {
		err = c.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode)
		if err == nil && mode == "delete" {
			_, err = c.ExecContext(ctx, `BEGIN EXCLUSIVE`)
		}
		if err == nil && mode == "delete" {
			return c, nil
		}
	}
	c.Close()
	return nil, fmt.Errorf("%w: %s is open in another process; stop every secrets serve on it first", ErrInUse, path)
}

// checkBackup returns nil if the file at from is a database of this
// service that passes SQLite's integrity check.
func checkBackup(ctx context.Context, from string) error {
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	header := make([]byte, 16)
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || string(header) != "SQLite format 3\x00" {
		return fmt.Errorf("%w: %s is not an SQLite database", ErrNotBackup, from)
	}
	// Read-only and immutable: checking the backup changes nothing in it
	// and makes no -wal or -shm file beside it.
	db, err := openFile(from, "mode=ro", "immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSecrets(ctx, db, from); err != nil {
		return fmt.Errorf("%w: %v", ErrNotBackup, err)
	}
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil || result != "ok" {
		return fmt.Errorf("%w: %s fails the integrity check", ErrNotBackup, from)
	}
	return nil
}

// copyFile copies from to a new file to, of mode 0600, and syncs it.
func copyFile(from, to string) (err error) {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer func() {
		if cerr := dst.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("sqlite: restore: %w", cerr)
		}
		if err != nil {
			os.Remove(to)
		}
	}()
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := dst.Sync(); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sqlite: sync %s: %w", dir, err)
	}
	return nil
}
