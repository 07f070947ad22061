package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestTheEmbeddedMigrationsLoadForEveryDialect(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := Migrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(ms) == 0 || ms[0].Version != 1 || !strings.Contains(ms[0].SQL, "CREATE TABLE api_keys") ||
			!strings.Contains(ms[0].SQL, "hash       "+blobType[d]+" NOT NULL UNIQUE") || strings.Contains(ms[0].SQL, "{{") {
			t.Fatalf("%s: %d migrations, the first %+v", d, len(ms), ms[0].Name)
		}
		for _, m := range ms {
			if strings.Contains(m.Name, ".sqlite.") && d != "sqlite" || strings.Contains(m.Name, ".postgres.") && d != "postgres" {
				t.Errorf("%s runs %s", d, m.Name)
			}
		}
	}
}

func TestBadlyNamedMigrationsAreErrorsNotPanics(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for name, files := range map[string]map[string]*fstest.MapFile{
		"no version number":          {"m/001_init.sql": sql, "m/init2.sql": sql},
		"a two-digit version":        {"m/01_init.sql": sql},
		"an unknown dialect":         {"m/001_init.mysql.sql": sql},
		"a version given twice":      {"m/001_init.sql": sql, "m/001_again.sql": sql},
		"common and dialect at once": {"m/001_init.sql": sql, "m/001_init.sqlite.sql": sql},
		"a gap":                      {"m/001_init.sql": sql, "m/003_more.sql": sql},
		"capitals":                   {"m/001_Init.sql": sql},
		"a directory":                {"m/001_init.sql/x": sql},
	} {
		t.Run(name, func(t *testing.T) {
			if ms, err := LoadMigrations(fstest.MapFS(files), "m", "sqlite"); err == nil {
				t.Fatalf("loaded %d migrations", len(ms))
			}
		})
	}
	t.Run("another dialect's file is skipped, not an error", func(t *testing.T) {
		ms, err := LoadMigrations(fstest.MapFS{"m/001_init.sqlite.sql": sql, "m/001_init.postgres.sql": sql, "m/002_more.sql": sql}, "m", "postgres")
		if err != nil || len(ms) != 2 || ms[0].Name != "001_init.postgres.sql" || ms[1].Name != "002_more.sql" {
			t.Fatalf("%+v, %v", ms, err)
		}
	})
}
