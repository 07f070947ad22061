package sqlite_test

import (
	"testing"

	"github.com/unguessable/secrets/internal/backendtest"
	"github.com/unguessable/secrets/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, backendtest.SQLite().Storetest())
}
