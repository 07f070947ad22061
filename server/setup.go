package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/access"
	"github.com/unguessable/secrets/code"
	"github.com/unguessable/secrets/store"
)

// Names of the settings the service keeps in the store. None holds a
// secret: the admin key's is a SHA-256, the pepper's an id (code.PepperID).
// settingPepper is the exception of databases made before pepper files;
// LoadPeppers moves it out.
const (
	settingAdminKey  = "server.admin_key_sha256"
	settingPepper    = "server.code_pepper"
	settingPepperID  = "server.pepper_id"
	settingBootstrap = "server.bootstrap"
)

// MinAdminKeyLen is the shortest admin key accepted from the environment.
const MinAdminKeyLen = 32

// RootKeyName is the name of the access key that Bootstrap creates.
const RootKeyName = "root"

// Errors of the set-up functions.
var (
	// ErrWeakSecret is returned by RootKey and LoadPeppers for a configured
	// admin key or pepper too short to resist guessing.
	ErrWeakSecret = errors.New("server: the configured secret is too short")
	// ErrFileExists is returned by Bootstrap and LoadPeppers when a file
	// they must create exists already: they never overwrite one, which may
	// hold the secret of another database.
	ErrFileExists = errors.New("server: the file exists already")
	// ErrPepperMismatch is returned by LoadPeppers when the database's
	// codes are keyed by a pepper that is not among those configured, as
	// when a second instance has a pepper file of its own instead of a copy
	// of the first one's.
	ErrPepperMismatch = errors.New("server: the pepper differs from the one the database's codes use")
	// ErrPepperFile is returned by LoadPeppers for a pepper file that does
	// not parse.
	ErrPepperFile = errors.New("server: bad pepper file")
)

// RootKey returns the SHA-256 of the root key that is not an access key,
// for Options.AdminKeyDigest: fromEnv (SECRETS_ADMIN_KEY) if it is set,
// which must have MinAdminKeyLen characters; otherwise the digest of the
// admin key of a database made before access keys, which keeps working so
// that its operators are not locked out; otherwise zero, and the callers
// hold access keys (see Bootstrap). RootKey writes nothing.
func RootKey(ctx context.Context, st store.Store, fromEnv string) (digest [32]byte, err error) {
	if fromEnv != "" {
		if len(fromEnv) < MinAdminKeyLen {
			return digest, fmt.Errorf("%w: SECRETS_ADMIN_KEY has %d characters, at least %d are needed", ErrWeakSecret, len(fromEnv), MinAdminKeyLen)
		}
		return sha256.Sum256([]byte(fromEnv)), nil
	}
	got, err := st.Setting(ctx, settingAdminKey)
	if errors.Is(err, store.ErrNotFound) {
		return digest, nil
	}
	if err != nil {
		return digest, fmt.Errorf("server: admin key: %w", err)
	}
	if len(got) != sha256.Size {
		return digest, fmt.Errorf("server: admin key: the stored digest has %d bytes, want %d", len(got), sha256.Size)
	}
	copy(digest[:], got)
	return digest, nil
}

// Bootstrap gives a new database its first caller. If st holds no access
// key (live or revoked) and no admin key of before access keys, Bootstrap
// creates the access key RootKeyName with every scope and every namespace,
// and writes its plaintext and a newline to a new file at path, of mode
// 0600: that file is the only copy. created reports whether it did.
//
// Of several servers starting together on one database, one creates the key
// (the setting server.bootstrap is the lock, and stays as a record that
// the bootstrap was done); the others return false. An existing file at
// path is never overwritten: Bootstrap then returns ErrFileExists and
// creates no key. A failure leaves no key whose plaintext is lost.
func Bootstrap(ctx context.Context, st store.Store, path string) (created bool, err error) {
	if _, err := st.Setting(ctx, settingAdminKey); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("server: bootstrap: %w", err)
	}
	existing, err := st.ListAccessKeys(ctx, "", 1)
	if err != nil {
		return false, fmt.Errorf("server: bootstrap: %w", err)
	}
	if len(existing) > 0 {
		return false, nil
	}
	ticket := secrets.TokenBytes(16)
	got, err := st.LoadOrStoreSetting(ctx, settingBootstrap, ticket)
	if err != nil {
		return false, fmt.Errorf("server: bootstrap: %w", err)
	}
	if !bytes.Equal(got, ticket) {
		return false, nil // another instance bootstraps, or did
	}
	unlock := func() { _ = st.DeleteSetting(context.WithoutCancel(ctx), settingBootstrap) }
	f, err := createPrivate(path)
	if err != nil {
		unlock()
		return false, fmt.Errorf("server: bootstrap: %w", err)
	}
	m := access.New(st, access.Options{CacheTTL: -1})
	c, err := m.Create(ctx, RootKeyName, access.AllScopes, []string{access.AllNamespaces})
	if err != nil {
		f.Close()
		os.Remove(path)
		unlock()
		return false, fmt.Errorf("server: bootstrap: %w", err)
	}
	if err := writeClose(f, c.Plaintext+"\n"); err != nil {
		os.Remove(path)
		// The key exists and its only copy is gone: revoke it, so that a
		// key nobody holds is not live. The lock stays (a key exists now):
		// the operator makes another with "secrets access create".
		_, _ = m.Revoke(context.WithoutCancel(ctx), c.ID)
		return false, fmt.Errorf("server: bootstrap: write %s: %w (the root key was revoked; create one with secrets access create)", path, err)
	}
	return true, nil
}

// createPrivate creates the file path for writing with mode 0600, or
// returns an error wrapping ErrFileExists if there is one.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w: %s (refusing to overwrite it)", ErrFileExists, path)
	}
	return f, err
}

// writeClose writes s to f, flushes it to the disk and closes f.
func writeClose(f *os.File, s string) error {
	_, err := f.WriteString(s)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ModeError is returned by CheckFileMode for a file that users other than
// its owner may read, write or execute.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	perm := e.Mode.Perm()
	var who, what []string
	if perm&0o070 != 0 {
		who = append(who, "group")
	}
	if perm&0o007 != 0 {
		who = append(who, "others")
	}
	for _, p := range []struct {
		bits fs.FileMode
		verb string
	}{{0o044, "read"}, {0o022, "write"}, {0o011, "execute"}} {
		if perm&p.bits != 0 {
			what = append(what, p.verb)
		}
	}
	return fmt.Sprintf("%s has mode %04o: %s may %s it", e.Path, perm, joinAnd(who), joinAnd(what))
}

// joinAnd joins words as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// CheckFileMode returns a *ModeError if the file at path grants its group or
// others any permission, and nil if it grants none or does not exist. The
// service keeps secrets, or what protects them, in its database, pepper and
// key files; a copy by another user of the host defeats the hashes. On
// Windows, whose permissions are not mode bits, it checks nothing.
func CheckFileMode(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &ModeError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// Peppers are the keys of the codes' HMACs.
type Peppers struct {
	// Current keys new codes (Options.Pepper).
	Current []byte
	// Old check the codes they keyed until those expire (Options.OldPeppers).
	Old [][]byte

	// What LoadPeppers did, for the caller to log.
	Generated bool // a new pepper was written to a new pepper file
	Migrated  bool // the database's own pepper was moved to the pepper file and deleted from the database
	Dropped   bool // the database's own pepper was deleted: SECRETS_PEPPER replaces it
	Rotated   bool // the database's pepper id was an old pepper's and is now Current's
}

// pepperFileHeader begins a pepper file that LoadPeppers writes.
const pepperFileHeader = "# secrets serve: the peppers of code HMACs, hex, one per line; the last keys new codes, the others check the codes they keyed\n"

// LoadPeppers returns the peppers of the service, which never live in the
// database: fromEnv (SECRETS_PEPPER, raw bytes, at least
// code.MinPepperBytes) if it is set, else those of the pepper file at path.
//
// A pepper file holds one pepper per line in hex (at least 64 digits, so
// 32 bytes: "secrets hex 32" prints one); blank lines and lines that begin
// with '#' are skipped. The last pepper keys new codes; the ones before it
// check the codes they keyed, so a rotation appends a line. Without a file,
// LoadPeppers creates one of mode 0600 that holds the pepper of a database
// made before pepper files (and deletes it from the database) or 32 new
// random bytes.
//
// The database keeps the id (code.PepperID) of the pepper that keys its
// codes, in the setting server.pepper_id. If that is an old pepper of the
// file, LoadPeppers updates it (a rotation); if it is none of the
// configured peppers, it returns ErrPepperMismatch, and leaves no file it
// created: every instance on one database needs a copy of one pepper
// file.
func LoadPeppers(ctx context.Context, st store.Store, path, fromEnv string) (Peppers, error) {
	var p Peppers
	dbPepper, err := st.Setting(ctx, settingPepper)
	if errors.Is(err, store.ErrNotFound) {
		dbPepper = nil
	} else if err != nil {
		return p, fmt.Errorf("server: pepper: %w", err)
	}
	if dbPepper != nil && len(dbPepper) < code.MinPepperBytes {
		return p, fmt.Errorf("server: pepper: the database's pepper has %d bytes, want at least %d", len(dbPepper), code.MinPepperBytes)
	}
	if fromEnv != "" {
		if len(fromEnv) < code.MinPepperBytes {
			return p, fmt.Errorf("%w: SECRETS_PEPPER has %d bytes, at least %d are needed", ErrWeakSecret, len(fromEnv), code.MinPepperBytes)
		}
		p.Current = []byte(fromEnv)
		if err := checkPepperID(ctx, st, &p, "SECRETS_PEPPER"); err != nil {
			return p, err
		}
		if dbPepper != nil {
			if err := st.DeleteSetting(ctx, settingPepper); err != nil {
				return p, fmt.Errorf("server: pepper: %w", err)
			}
			p.Dropped = true
		}
		return p, nil
	}

	// Two tries: a file that appears between the read and the create was
	// written by another instance on this host, and is read the second time.
	for range 2 {
		all, err := readPepperFile(path)
		if err == nil {
			p.Current, p.Old = all[len(all)-1], all[:len(all)-1]
			if dbPepper != nil && !slices.ContainsFunc(all, func(q []byte) bool { return bytes.Equal(q, dbPepper) }) {
				return p, fmt.Errorf("%w: the database holds a pepper (setting %s) that is not in %s; to move it out, move %s away and start again",
					ErrPepperMismatch, settingPepper, path, path)
			}
			if err := checkPepperID(ctx, st, &p, path); err != nil {
				return p, err
			}
			if dbPepper != nil {
				// Another instance moved it out and has not deleted it yet.
				if err := st.DeleteSetting(ctx, settingPepper); err != nil {
					return p, fmt.Errorf("server: pepper: %w", err)
				}
				p.Migrated = true
			}
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return p, err
		}

		pepper := dbPepper
		if pepper == nil {
			pepper = secrets.TokenBytes(32)
		}
		p = Peppers{Current: pepper}
		// Refuse before writing, if the database's codes are keyed by
		// another pepper: the file would only be in the way of the copy.
		if err := checkStoredPepperID(ctx, st, &p, path+" (there is none yet)"); err != nil {
			return p, err
		}
		f, err := createPrivate(path)
		if errors.Is(err, ErrFileExists) {
			continue
		}
		if err != nil {
			return p, fmt.Errorf("server: pepper: %w", err)
		}
		if err := writeClose(f, pepperFileHeader+hex.EncodeToString(pepper)+"\n"); err != nil {
			os.Remove(path)
			return p, fmt.Errorf("server: pepper: write %s: %w", path, err)
		}
		if err := checkPepperID(ctx, st, &p, path); err != nil {
			os.Remove(path) // ours, just made: another instance won the race with its own pepper
			return p, err
		}
		if dbPepper != nil {
			if err := st.DeleteSetting(ctx, settingPepper); err != nil {
				return p, fmt.Errorf("server: pepper: %w", err)
			}
			p.Migrated = true
		} else {
			p.Generated = true
		}
		return p, nil
	}
	return p, fmt.Errorf("server: pepper: %s appeared and vanished while it was being read", path)
}

// readPepperFile returns the peppers of the file at path, oldest first.
// Its errors never quote the file's contents.
func readPepperFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: pepper: %w", err)
	}
	var all [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := hex.DecodeString(line)
		if err != nil || len(p) < code.MinPepperBytes {
			return nil, fmt.Errorf("%w: %s line %d is not a pepper: want %d or more hex digits (such as the output of secrets hex 32)",
				ErrPepperFile, path, n, 2*code.MinPepperBytes)
		}
		all = append(all, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPepperFile, path, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: %s holds no pepper", ErrPepperFile, path)
	}
	return all, nil
}

// checkStoredPepperID returns ErrPepperMismatch if the database has a
// pepper id and it is none of p's; it stores nothing.
func checkStoredPepperID(ctx context.Context, st store.Store, p *Peppers, where string) error {
	id, err := st.Setting(ctx, settingPepperID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: pepper: %w", err)
	}
	return matchPepperID(string(id), p, where)
}

// checkPepperID compares the database's pepper id with p's, storing
// p.Current's if it has none and updating it if it is one of p.Old's.
func checkPepperID(ctx context.Context, st store.Store, p *Peppers, where string) error {
	current := code.PepperID(p.Current)
	got, err := st.LoadOrStoreSetting(ctx, settingPepperID, []byte(current))
	if err != nil {
		return fmt.Errorf("server: pepper: %w", err)
	}
	if string(got) == current {
		return nil
	}
	if err := matchPepperID(string(got), p, where); err != nil {
		return err
	}
	// A rotation: the file's newest pepper keys the codes from now on. Of
	// several instances doing this at once, all write the same id.
	if err := st.DeleteSetting(ctx, settingPepperID); err != nil {
		return fmt.Errorf("server: pepper: %w", err)
	}
	if _, err := st.LoadOrStoreSetting(ctx, settingPepperID, []byte(current)); err != nil {
		return fmt.Errorf("server: pepper: %w", err)
	}
	p.Rotated = true
	return nil
}

// matchPepperID returns ErrPepperMismatch unless id is the id of one of
// p's peppers.
func matchPepperID(id string, p *Peppers, where string) error {
	if id == code.PepperID(p.Current) || slices.ContainsFunc(p.Old, func(q []byte) bool { return code.PepperID(q) == id }) {
		return nil
	}
	return fmt.Errorf("%w: the database's codes are keyed by the pepper %s, which is not in %s: copy the pepper file of the instance that started first",
		ErrPepperMismatch, id, where)
}
