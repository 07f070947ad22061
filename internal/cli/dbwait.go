package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/unguessable/secrets"
	"github.com/unguessable/secrets/store"
)

// The backoff between attempts to reach a database at start: doubling from
// the first wait to the most, each wait jittered by up to a quarter so that
// instances started together do not retry in step.
const (
	dbRetryFirst = 250 * time.Millisecond
	dbRetryMost  = 5 * time.Second
)

// openStoreWaiting opens the store of db, retrying a PostgreSQL database
// that does not answer, with backoff and a log line each time, for up to
// wait. A bad URL or path, and a SQLite file that cannot be opened, fail
// at once.
func openStoreWaiting(ctx context.Context, log *slog.Logger, db string, wait time.Duration) (store.Store, string, error) {
	st, kind, err := openStore(ctx, db, true)
	if err == nil || !isPostgres(db) || wait <= 0 {
		return st, kind, err
	}
	var usage *usageError
	if errors.As(err, &usage) {
		return nil, "", err
	}
	deadline := time.Now().Add(wait)
	delay := dbRetryFirst
	for attempt := 2; ; attempt++ {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, "", withFailureHint(fmt.Errorf("the database did not answer within --db-wait %v: %s", wait, flat(err)),
				"check that PostgreSQL is running and the URL's host and port; --db-wait sets how long to wait")
		}
		d := min(delay+time.Duration(secrets.RandBelow(int(delay/4)+1)), left)
		log.Warn("the database does not answer; retrying", logAttempt, attempt, logIn, d.Round(time.Millisecond).String(),
			logErr, flat(err))
		select {
		case <-ctx.Done():
			return nil, "", ctx.Err()
		case <-time.After(d):
		}
		if st, kind, err = openStore(ctx, db, true); err == nil {
			log.Info("the database answers", logAttempt, attempt)
			return st, kind, nil
		}
		delay = min(2*delay, dbRetryMost)
	}
}

// flat is err's message on one line: pgx puts each address it tried on a
// line of its own.
func flat(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
