package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// TestOpenOnEachEngine checks that Open wires both engines and that a
// restart keeps the pepper of an existing organisation.
func TestOpenOnEachEngine(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			dsn, dir := storetest.DSN(t, d)
			cfg := Config{DSN: dsn, DataDir: dir, ReceiptParams: keys.TestParams, PasswordParams: keys.TestParams,
				Logger: slog.New(slog.DiscardHandler), Out: io.Discard}
			a, err := Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if a.DB.Dialect() != d {
				t.Fatalf("dialect %s, want %s", a.DB.Dialect(), d)
			}
			if err := org.Init(context.Background(), a.DB, org.DefaultTenant, "Acme", time.Now()); err != nil {
				t.Fatal(err)
			}
			a.Close()
			a, err = Open(context.Background(), cfg)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			a.Close()
		})
	}
}
