package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/unguessable/secrets/store/sqlite"
)

// pgBackupHint points a PostgreSQL user to the tools that back it up.
const pgBackupHint = "back up PostgreSQL with pg_dump and restore it with pg_restore: see docs/BACKUP.md"

func newBackupCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup [--db PATH] OUT",
		Short: "Copy a live SQLite database of secrets serve, consistently, to a new file",
		Long: `Write a consistent copy of the service's SQLite database to OUT, a new
file of mode 0600, while servers go on using the database. The copy holds
exactly what was committed when the backup began (SQLite's VACUUM INTO, in
one read transaction), compacted.

The database holds only digests and MACs, but the pepper file that keys
the codes' MACs, and the admin key file, live beside it, not in it: keep a
copy of the pepper file with the backup, or codes pending at the time of
the backup cannot be checked after a restore. See docs/BACKUP.md.

The database is --db, or SECRETS_DB, or secrets.db in the working
directory, as for secrets serve. For PostgreSQL, use pg_dump.`,
		Example: `  secrets backup --db /var/lib/secrets/secrets.db /backups/secrets-$(date +%F).db
  secrets restore --db /var/lib/secrets/secrets.db /backups/secrets-2026-11-30.db`,
		Args: exactArgs(1, "OUT"),
	}
	db := addDBFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		out := args[0]
		if err := checkBackupDB(*db); err != nil {
			return err
		}
		if _, err := os.Stat(*db); errors.Is(err, fs.ErrNotExist) {
			return withHint(usagef("--db %s: no such database", *db), "give the database of secrets serve with --db or SECRETS_DB")
		}
		if _, err := os.Lstat(out); err == nil {
			return withHint(usagef("%s exists: a backup is written to a new file only", out), "give another name, or remove it first")
		}
		err := sqlite.Backup(cmd.Context(), *db, out)
		if errors.Is(err, sqlite.ErrForeign) {
			return withHint(usagef("--db %s is not a database of secrets serve", *db), "give the database of secrets serve with --db or SECRETS_DB")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "secrets: backed up %s to %s; keep the pepper file with it\n", *db, out)
		return nil
	}
	return cmd
}

func newRestoreCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore [--db PATH] BACKUP",
		Short: "Put a backup made by secrets backup in place of the SQLite database",
		Long: `Replace the service's SQLite database with BACKUP, a file made by
secrets backup. The backup is checked first (a database of this service
that passes SQLite's integrity check) and left as it is; the database is
replaced only if no process has it open: stop every secrets serve on it
first, and start them after the restore returns. A database path that does
not exist yet is created. Put back the pepper file saved with the backup
too, or codes pending at the time of the backup cannot be checked.

The database is --db, or SECRETS_DB, or secrets.db in the working
directory, as for secrets serve. For PostgreSQL, use pg_restore.`,
		Example: `  secrets restore --db /var/lib/secrets/secrets.db /backups/secrets-2026-11-30.db`,
		Args:    exactArgs(1, "BACKUP"),
	}
	db := addDBFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		from := args[0]
		if err := checkBackupDB(*db); err != nil {
			return err
		}
		err := sqlite.Restore(cmd.Context(), from, *db)
		switch {
		case errors.Is(err, sqlite.ErrForeign):
			return withHint(usagef("--db %s is not a database of secrets serve; nothing was changed", *db), "restore over the service's database, or into a new path")
		case errors.Is(err, sqlite.ErrNotBackup):
			return withHint(usagef("%s is not a backup of a secrets database", from), "give a file made by secrets backup")
		case errors.Is(err, fs.ErrNotExist):
			return usagef("%s: no such file", from)
		case errors.Is(err, sqlite.ErrInUse):
			return withFailureHint(fmt.Errorf("--db %s is open in another process; nothing was changed", *db), "stop every secrets serve on it, then restore")
		case err != nil:
			return err
		}
		fmt.Fprintf(s.Err, "secrets: restored %s from %s\n", *db, from)
		return nil
	}
	return cmd
}

// checkBackupDB refuses what backup and restore cannot handle.
func checkBackupDB(db string) error {
	if isPostgres(db) {
		return withHint(usagef("--db is a PostgreSQL URL: secrets backup and restore handle SQLite files"), pgBackupHint)
	}
	return checkDB(db)
}
