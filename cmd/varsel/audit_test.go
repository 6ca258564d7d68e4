package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func clearStoreEnv(t *testing.T) {
	for _, k := range []string{"VARSEL_DATA", "VARSEL_DB", "VARSEL_DB_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// TestAuditVerifyCommandReportsIntactAndBrokenChainsAL1 drives "varsel audit
// verify" on SQLite (--data) and PostgreSQL (--db, and VARSEL_DB): an intact
// log prints its length and exits 0; a changed entry is named and exits 1.
func TestAuditVerifyCommandReportsIntactAndBrokenChainsAL1(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			clearStoreEnv(t)
			dsn, dir := storetest.DSN(t, d)
			args := []string{"audit", "verify", "--data", dir}
			if dsn != "" {
				args = append(args, "--db", dsn)
			}
			db, err := store.Open(context.Background(), dsn, dir)
			if err != nil {
				t.Fatal(err)
			}
			log := audit.New(db, nil)
			for _, id := range []string{"r1", "r2", "r3"} {
				if _, err := log.Record(context.Background(), audit.Entry{TenantID: "default", ActorType: audit.ActorStaff,
					ActorID: "u1", Action: audit.ActionCaseRead, ObjectType: audit.ObjectCase, ObjectID: id}); err != nil {
					t.Fatal(err)
				}
			}
			path := db.Path()
			db.Close()

			code, stdout, stderr := runCLI(t, "", args...)
			if code != 0 || !strings.HasPrefix(stdout, "audit log intact: 3 entries\n") || !strings.Contains(stdout, "head: entry 3, sha256 ") {
				t.Fatalf("intact log: code %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if d == store.Postgres {
				// The DSN may also come from the environment, as for serve.
				t.Setenv("VARSEL_DB", dsn)
				if code, stdout, stderr := runCLI(t, "", "audit", "verify", "--data", dir); code != 0 || !strings.HasPrefix(stdout, "audit log intact: 3 entries") {
					t.Fatalf("DSN from VARSEL_DB: code %d, stdout %q, stderr %q", code, stdout, stderr)
				}
			}

			var raw *sql.DB
			if d == store.SQLite {
				raw, err = sql.Open("sqlite", "file:"+path)
			} else {
				raw, err = sql.Open("pgx", dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec("UPDATE audit_log SET object_id = 'r9' WHERE tenant_id = 'default' AND seq = 2"); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr = runCLI(t, "", args...)
			if code != exitError || !strings.Contains(stderr, "audit log broken at entry 2: hash mismatch") || strings.Contains(stdout, "intact") {
				t.Fatalf("changed log: code %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
}

func TestAuditVerifyCommandRefusesMissingDatabaseAndBadUsageAL1(t *testing.T) {
	clearStoreEnv(t)
	dir := filepath.Join(t.TempDir(), "nothing-here")
	code, _, stderr := runCLI(t, "", "audit", "verify", "--data", dir)
	if code != exitError || !strings.Contains(stderr, "no database") {
		t.Fatalf("missing database: code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("verify created the data directory: %v", err)
	}
	for _, args := range [][]string{{"audit"}, {"audit", "check"}, {"audit", "verify", "extra"}} {
		if code, _, stderr := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: code %d, stderr %q; want %d", args, code, stderr, exitUsage)
		}
	}
	// An organisation without any audit entry yet is intact.
	empty := t.TempDir()
	db, err := store.Open(context.Background(), "", empty)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, stdout, stderr := runCLI(t, "", "audit", "verify", "--data", empty); code != 0 || stdout != "audit log intact: 0 entries\n" {
		t.Fatalf("empty log: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
