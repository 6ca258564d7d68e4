package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// TestRC7EveryTableHasTenantID reads the migrated schema of both engines
// and fails on any table without a tenant_id column: a row that names no
// tenant cannot be kept out of another tenant's reads (RC-7).
func TestRC7EveryTableHasTenantID(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := storetest.DSN(t, d)
			db, err := store.Open(ctx, dsn, dir)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			path := db.Path()
			db.Close()

			var raw *sql.DB
			var tablesQ, columnsQ string
			if d == store.SQLite {
				raw, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
				tablesQ = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
				columnsQ = `SELECT name FROM pragma_table_info($1)`
			} else {
				raw, err = sql.Open("pgx", dsn)
				tablesQ = `SELECT table_name FROM information_schema.tables
					WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
				columnsQ = `SELECT column_name FROM information_schema.columns
					WHERE table_schema = current_schema() AND table_name = $1`
			}
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			tables := queryNames(t, raw, tablesQ)
			if len(tables) < 10 {
				t.Fatalf("only %d tables found: %v", len(tables), tables)
			}
			for _, table := range tables {
				cols := queryNames(t, raw, columnsQ, table)
				if !slices.Contains(cols, "tenant_id") {
					t.Errorf("table %s has no tenant_id column (columns %v)", table, cols)
				}
			}
		})
	}
}

func queryNames(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
