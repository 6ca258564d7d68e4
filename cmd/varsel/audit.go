package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

const auditUsage = "usage: varsel audit verify [--data DIR] [--db DSN]"

// errAuditBroken marks a verification that ran and found the chain broken.
var errAuditBroken = errors.New("audit log broken")

// cmdAudit implements "varsel audit verify": it checks the audit log's hash
// chain (AL-1) and exits 1 when it is broken.
func cmdAudit(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New(auditUsage)}
	}
	var dataDir, dsn, tenant string
	fs := newFlagSet("audit verify", "Checks the hash chain of the audit log and prints the number of intact\nentries and the head hash, or the first broken entry (exit status 1).\nKeep the printed head hash outside the database: a later run must show\nthe same hash at the same entry or a longer chain.", stderr)
	fs.StringVar(&dataDir, "data", app.DefaultDataDir, "data directory holding the SQLite database")
	fs.StringVar(&dsn, "db", "", "database: empty for SQLite in the data directory, or postgres://user:pass@host/db")
	fs.StringVar(&tenant, "tenant", org.DefaultTenant, "tenant whose log to check")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	// Checking must not create an empty database where none was.
	if !store.IsPostgresDSN(dsn) {
		path := dsn
		if path == "" {
			path = filepath.Join(dataDir, "varsel.db")
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no database at %s: %w", path, err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, dsn, dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := audit.Verify(ctx, db, tenant)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if r.Broken {
		return fmt.Errorf("%w at entry %d: %s (%s)", errAuditBroken, r.BrokenAt, r.Reason, r.Detail)
	}
	fmt.Fprintln(stdout, r)
	if r.Entries > 0 {
		fmt.Fprintf(stdout, "head: entry %d, sha256 %s\n", r.Entries, hex.EncodeToString(r.Head))
	}
	return nil
}
