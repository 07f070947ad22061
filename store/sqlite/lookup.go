package sqlite

import (
	"errors"
	"fmt"
	"net/url"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/unguessable/secrets/store"
)

// reader is a read-only connection for the one read that decides every
// plain-key verification: the key with a given hash. It talks to SQLite
// through the C API of modernc.org/sqlite/lib (the same SQLite, from the
// same module, that the database/sql driver wraps) rather than
// database/sql, for two costs that dominate a point read there: the
// driver asks SQLite for every column's name and declared type on every
// query, and it opens connections in serialized mode, so that each of the
// 18 column reads of a row takes and releases the connection's mutex. A
// reader belongs to one goroutine at a time (the lookup worker that took
// it), so it opens its connection without a mutex and reads only the
// values.
//
// Only this file uses unsafe: the memory it hands to SQLite comes from
// SQLite's or libc's allocator, and every value it reads is copied into Go memory before
// the statement moves on.
type reader struct {
	tls           *libc.TLS
	db            uintptr
	byHash        uintptr // SELECT keyCols FROM api_keys WHERE hash = ?1
	begin, commit uintptr
	buf           uintptr // the bound hash, in C memory
	bufLen        int
}

// openReader opens a reader on the database file at path, which Open has
// already created and migrated.
func openReader(path string) (_ *reader, err error) {
	r := &reader{tls: libc.NewTLS()}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	name, err := libc.CString("file:" + (&url.URL{Path: path}).EscapedPath())
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(r.tls, name)
	pdb := r.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer r.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_open_v2(r.tls, name, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	r.db = *(*uintptr)(cptr(pdb))
	if rc != sqlite3.SQLITE_OK {
		return nil, r.error("open", rc)
	}
	if rc := sqlite3.Xsqlite3_busy_timeout(r.tls, r.db, int32(BusyTimeout.Milliseconds())); rc != sqlite3.SQLITE_OK {
		return nil, r.error("busy timeout", rc)
	}
	// query_only, like the database/sql read pool: this connection can
	// open the WAL file's shared memory, but never writes.
	q, err := r.prepare("PRAGMA query_only = 1")
	if err != nil {
		return nil, err
	}
	rc = sqlite3.Xsqlite3_step(r.tls, q)
	sqlite3.Xsqlite3_finalize(r.tls, q)
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		return nil, r.error("query_only", rc)
	}
	if r.byHash, err = r.prepare(`SELECT ` + keyCols + ` FROM api_keys WHERE hash = ?1`); err != nil {
		return nil, err
	}
	if r.begin, err = r.prepare("BEGIN"); err != nil {
		return nil, err
	}
	if r.commit, err = r.prepare("COMMIT"); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *reader) prepare(sql string) (uintptr, error) {
	z, err := libc.CString(sql)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(r.tls, z)
	pp := r.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer r.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	if rc := sqlite3.Xsqlite3_prepare_v2(r.tls, r.db, z, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return 0, r.error("prepare", rc)
	}
	return *(*uintptr)(cptr(pp)), nil
}

// error describes a failed call. SQLite's messages name tables, columns and
// statements, never bound values, so no hash reaches them.
func (r *reader) error(op string, rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(r.tls, rc))
	if r.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(r.tls, r.db))
	}
	return fmt.Errorf("sqlite: key lookup: %s: %s (%d)", op, msg, rc)
}

func (r *reader) close() {
	for _, st := range []uintptr{r.byHash, r.begin, r.commit} {
		if st != 0 {
			sqlite3.Xsqlite3_finalize(r.tls, st)
		}
	}
	if r.db != 0 {
		sqlite3.Xsqlite3_close_v2(r.tls, r.db)
	}
	if r.buf != 0 {
		sqlite3.Xsqlite3_free(r.tls, r.buf)
	}
	r.tls.Close()
	*r = reader{}
}

// keys reads the keys with these hashes. Several are read in one read
// transaction: one snapshot and one round of WAL locking for the batch.
func (r *reader) keys(hashes []string) (map[string]store.Key, error) {
	found := make(map[string]store.Key, len(hashes))
	if len(hashes) > 1 {
		if rc := sqlite3.Xsqlite3_step(r.tls, r.begin); rc != sqlite3.SQLITE_DONE {
			sqlite3.Xsqlite3_reset(r.tls, r.begin)
			return nil, r.error("begin", rc)
		}
		sqlite3.Xsqlite3_reset(r.tls, r.begin)
		defer func() {
			sqlite3.Xsqlite3_step(r.tls, r.commit) // ends a read: nothing to lose
			sqlite3.Xsqlite3_reset(r.tls, r.commit)
		}()
	}
	for _, h := range hashes {
		k, ok, err := r.key(h)
		if err != nil {
			return nil, err
		}
		if ok {
			found[h] = k
		}
	}
	return found, nil
}

func (r *reader) key(hash string) (store.Key, bool, error) {
	if len(hash) == 0 {
		return store.Key{}, false, nil // no stored hash is empty
	}
	if len(hash) > r.bufLen {
		if r.buf != 0 {
			sqlite3.Xsqlite3_free(r.tls, r.buf)
		}
		r.buf, r.bufLen = sqlite3.Xsqlite3_malloc(r.tls, int32(len(hash))), len(hash)
		if r.buf == 0 {
			r.bufLen = 0
			return store.Key{}, false, errors.New("sqlite: key lookup: out of memory")
		}
	}
	copy(cmem(r.buf, len(hash)), hash)
	st := r.byHash
	defer sqlite3.Xsqlite3_reset(r.tls, st)
	if rc := sqlite3.Xsqlite3_bind_blob(r.tls, st, 1, r.buf, int32(len(hash)), sqlite3.SQLITE_STATIC); rc != sqlite3.SQLITE_OK {
		return store.Key{}, false, r.error("bind", rc)
	}
	switch rc := sqlite3.Xsqlite3_step(r.tls, st); rc {
	case sqlite3.SQLITE_DONE:
		return store.Key{}, false, nil
	case sqlite3.SQLITE_ROW:
	default:
		return store.Key{}, false, r.error("step", rc)
	}
	// The columns of keyCols, in order; scanKey reads the same through
	// database/sql.
	k := store.Key{
		ID: r.text(st, 0), Hash: r.blob(st, 1), Prefix: r.text(st, 2), Start: r.text(st, 3),
		Namespace: r.text(st, 4), Owner: r.text(st, 5), Name: r.text(st, 6),
		Enabled:   r.int(st, 8) != 0,
		CreatedAt: store.FromMillis(r.int(st, 9)), UpdatedAt: store.FromMillis(r.int(st, 10)),
		RateCount: r.int(st, 17),
	}
	if !r.null(st, 7) {
		k.Meta = []byte(r.text(st, 7))
	}
	if !r.null(st, 11) {
		k.ExpiresAt = store.FromMillis(r.int(st, 11))
	}
	if !r.null(st, 12) {
		k.RevokedAt = store.FromMillis(r.int(st, 12))
	}
	if !r.null(st, 13) {
		n := r.int(st, 13)
		k.Remaining = &n
	}
	if !r.null(st, 14) && !r.null(st, 15) {
		k.RateLimit = &store.RateLimit{Limit: r.int(st, 14), Window: time.Duration(r.int(st, 15)) * time.Millisecond}
		k.RateStart = store.FromMillis(r.int(st, 16))
	}
	return k, true, nil
}

func (r *reader) null(st uintptr, col int32) bool {
	return sqlite3.Xsqlite3_column_type(r.tls, st, col) == sqlite3.SQLITE_NULL
}

func (r *reader) int(st uintptr, col int32) int64 {
	return sqlite3.Xsqlite3_column_int64(r.tls, st, col)
}

// text copies a TEXT column into a Go string.
func (r *reader) text(st uintptr, col int32) string {
	p := sqlite3.Xsqlite3_column_text(r.tls, st, col)
	n := sqlite3.Xsqlite3_column_bytes(r.tls, st, col)
	if p == 0 || n <= 0 {
		return ""
	}
	return string(cmem(p, int(n)))
}

// blob copies a BLOB column into a Go slice.
func (r *reader) blob(st uintptr, col int32) []byte {
	p := sqlite3.Xsqlite3_column_blob(r.tls, st, col)
	n := sqlite3.Xsqlite3_column_bytes(r.tls, st, col)
	if p == 0 || n <= 0 {
		return nil
	}
	return append([]byte(nil), cmem(p, int(n))...)
}

// cptr turns the address of C memory into a pointer. The memory SQLite and
// libc allocate is not Go's: the garbage collector neither moves nor frees
// it, so its uintptr address is as good as a pointer, for as long as the C
// side keeps it.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// cmem is the n bytes of C memory at p, valid only until SQLite reuses
// them; callers copy.
func cmem(p uintptr, n int) []byte { return unsafe.Slice((*byte)(cptr(p)), n) }
