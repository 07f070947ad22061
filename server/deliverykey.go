package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/store"
)

// settingDeliveryKeyID is the setting that holds the id (deliver.KeyID) of
// the delivery key that seals the database's queued deliveries.
const settingDeliveryKeyID = "server.delivery_key_id"

// Errors of LoadDeliveryKey.
var (
	// ErrDeliveryKeyMismatch is returned by LoadDeliveryKey when the
	// database's deliveries are sealed by another key, as when a second
	// instance has a key file of its own instead of a copy of the first's.
	ErrDeliveryKeyMismatch = errors.New("server: the delivery key differs from the one the database's deliveries use")
	// ErrDeliveryKeyFile is returned by LoadDeliveryKey for a key file
	// that does not hold a key.
	ErrDeliveryKeyFile = errors.New("server: bad delivery key file")
)

const deliveryKeyHeader = "# secrets serve: the key that seals queued deliveries (XChaCha20-Poly1305), hex; every instance on one database needs a copy\n"

// LoadDeliveryKey returns the key that seals the plaintext of queued
// deliveries, which never lives in the database: from the file at path
// (one line of 64 hex digits; lines starting with '#' are skipped), or, if
// there is none, 32 new random bytes written to a new file of mode 0600
// (generated is then true). The database keeps the key's id
// (deliver.KeyID) in the setting server.delivery_key_id; a key whose id
// differs is ErrDeliveryKeyMismatch, and a file LoadDeliveryKey created is
// removed again.
func LoadDeliveryKey(ctx context.Context, st store.Store, path string) (key []byte, generated bool, err error) {
	for range 2 {
		key, err = readDeliveryKey(path)
		if err == nil {
			return key, false, checkDeliveryKeyID(ctx, st, key, path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, false, err
		}
		if _, err := st.Setting(ctx, settingDeliveryKeyID); err == nil {
			return nil, false, fmt.Errorf("%w: the database's deliveries are sealed by a key, and %s does not exist: copy the delivery key file of the instance that started first",
				ErrDeliveryKeyMismatch, path)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("server: delivery key: %w", err)
		}
		key = secrets.TokenBytes(deliver.KeyBytes)
		f, err := createPrivate(path)
		if errors.Is(err, ErrFileExists) {
			continue // another instance on this host wrote it: read it
		}
		if err != nil {
			return nil, false, fmt.Errorf("server: delivery key: %w", err)
		}
		if err := writeClose(f, deliveryKeyHeader+hex.EncodeToString(key)+"\n"); err != nil {
			os.Remove(path)
			return nil, false, fmt.Errorf("server: delivery key: write %s: %w", path, err)
		}
		if err := checkDeliveryKeyID(ctx, st, key, path); err != nil {
			os.Remove(path)
			return nil, false, err
		}
		return key, true, nil
	}
	return nil, false, fmt.Errorf("server: delivery key: %s appeared and vanished while it was being read", path)
}

// readDeliveryKey reads the key file at path; its errors never quote the
// file's contents.
func readDeliveryKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: delivery key: %w", err)
	}
	var key []byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := hex.DecodeString(line)
		if err != nil || len(k) != deliver.KeyBytes || key != nil {
			return nil, fmt.Errorf("%w: %s line %d is not the one key: want one line of %d hex digits (such as the output of secrets hex %d)",
				ErrDeliveryKeyFile, path, n, 2*deliver.KeyBytes, deliver.KeyBytes)
		}
		key = k
	}
	if key == nil {
		return nil, fmt.Errorf("%w: %s holds no key", ErrDeliveryKeyFile, path)
	}
	return key, nil
}

// checkDeliveryKeyID stores key's id in the database if it has none, and
// returns ErrDeliveryKeyMismatch if it has another.
func checkDeliveryKeyID(ctx context.Context, st store.Store, key []byte, path string) error {
	id := deliver.KeyID(key)
	got, err := st.LoadOrStoreSetting(ctx, settingDeliveryKeyID, []byte(id))
	if err != nil {
		return fmt.Errorf("server: delivery key: %w", err)
	}
	if string(got) != id {
		return fmt.Errorf("%w: the database's deliveries are sealed by the key %s, and %s holds %s: copy the delivery key file of the instance that started first",
			ErrDeliveryKeyMismatch, got, path, id)
	}
	return nil
}
