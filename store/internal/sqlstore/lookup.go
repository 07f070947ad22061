package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/unguessable/secrets/internal/coalesce"
	"github.com/unguessable/secrets/store"
)

// MaxLookupBatch is the most key lookups one coalesced fetch serves.
const MaxLookupBatch = 64

// Lookups are how a backend reads keys by hash, the read behind every
// plain-key verification; concurrent lookups are coalesced into batches
// (internal/coalesce).
type Lookups struct {
	// Batch reads the keys with these hashes (1 to MaxLookupBatch of them).
	Batch coalesce.Fetch[store.Key]
	// One, if set, reads one key when no other lookup is in flight.
	One func(ctx context.Context, hash string) (store.Key, bool, error)
	// Workers is how many batches run at once.
	Workers int
}

// StartLookups starts serving KeyByHash through l. Close stops it.
func (c *Core) StartLookups(l Lookups) {
	c.byHash = coalesce.New(l.Batch, coalesce.Options[store.Key]{Workers: l.Workers, MaxBatch: MaxLookupBatch, One: l.One, Copy: store.Key.Clone})
}

// KeyByHash returns the key with this hash: one indexed read, shared with
// the lookups running concurrently.
func (c *Core) KeyByHash(ctx context.Context, hash []byte) (store.Key, error) {
	k, ok, err := c.byHash.Get(ctx, string(hash))
	switch {
	case errors.Is(err, coalesce.ErrClosed):
		return store.Key{}, fmt.Errorf("%s: key lookup: the store is closed", c.d.Name)
	case err != nil:
		return store.Key{}, err
	case !ok:
		return store.Key{}, store.ErrNotFound
	}
	return k, nil
}

// StopLookups waits for the lookups in flight and refuses new ones.
func (c *Core) StopLookups() {
	if c.byHash != nil {
		c.byHash.Close()
	}
}
