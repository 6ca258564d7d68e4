// Package storetest gives tests a fresh, real database: a SQLite file in a
// temporary directory, and, when VARSEL_TEST_POSTGRES holds a DSN, a
// PostgreSQL schema of its own that is dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// EnvPostgres names the variable that holds the PostgreSQL test DSN.
const EnvPostgres = "VARSEL_TEST_POSTGRES"

// EnvRequirePostgres, set to 1 (as CI does), turns a missing PostgreSQL
// into a failure instead of a skip.
const EnvRequirePostgres = "VARSEL_REQUIRE_POSTGRES"

// ForEach runs fn once per available engine as subtests "sqlite" and
// "postgres"; the PostgreSQL one is skipped, saying why, when no DSN is set.
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a migrated, empty database of the given engine.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	dsn, dir := DSN(t, d)
	db, err := store.Open(context.Background(), dsn, dir)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN prepares an empty database and returns the DSN and data directory to
// open it with, for tests that open and close the store themselves.
func DSN(t testing.TB, d store.Dialect) (dsn, dataDir string) {
	t.Helper()
	dataDir = t.TempDir()
	if d == store.SQLite {
		return "", dataDir
	}
	base := os.Getenv(EnvPostgres)
	if base == "" && os.Getenv(EnvRequirePostgres) == "1" {
		t.Fatalf("%s=1 but %s is not set", EnvRequirePostgres, EnvPostgres)
	}
	if base == "" {
		t.Skipf("PostgreSQL tests need %s (e.g. postgres://postgres@127.0.0.1:5432/test)", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return withSearchPath(t, base, schema), dataDir
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Fatalf("%s must be a postgres:// URL", EnvPostgres)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteFiles lists the SQLite database file and its WAL and shared-memory
// companions, for tests that scan every stored byte.
func SQLiteFiles(db *store.DB) []string {
	if db.Path() == "" {
		return nil
	}
	var out []string
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		p := db.Path() + suffix
		if _, err := os.Stat(p); err == nil {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}
