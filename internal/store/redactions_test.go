package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// The kept conversion of an office source (DA-2 previews) on both engines:
// set once, cleared only under its own key, kept from the sweeper while
// referenced, and among the blobs a case's deletion hands back. The
// LibreOffice side is tested in internal/cases, on SQLite.
func TestRedactionConversionIsSetOnceClearedByItsKeyAndGoesWithTheCase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedTenant(t, db)
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		insertReport(t, db, "r1", at, "u1")
		x := store.Redaction{TenantID: "default", ID: "x1", ReportID: "r1", FileID: "f1", State: "draft", Version: 1,
			Body: []byte("sealed"), CreatedBy: "u1", CreatedAt: at, UpdatedBy: "u1", UpdatedAt: at}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertRedaction(ctx, x) }); err != nil {
			t.Fatal(err)
		}
		referenced := func(key string) bool {
			t.Helper()
			ok, err := db.BlobReferenced(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if err := db.SetRedactionConversion(ctx, "default", "r1", "x1", "conv-a", []byte("sealed a")); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRedactionConversion(ctx, "default", "r1", "x1", "conv-b", []byte("sealed b")); !errors.Is(err, store.ErrStateChanged) {
			t.Fatalf("a second conversion over the first: %v, want ErrStateChanged", err)
		}
		got, err := db.Redaction(ctx, "default", "r1", "x1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ConversionKey != "conv-a" || string(got.Conversion) != "sealed a" || got.Version != 1 {
			t.Fatalf("row after set: key %q, sealed %q, version %d", got.ConversionKey, got.Conversion, got.Version)
		}
		if !referenced("conv-a") || referenced("conv-b") {
			t.Fatal("BlobReferenced does not follow the kept conversion")
		}
		if err := db.ClearRedactionConversion(ctx, "default", "r1", "x1", "conv-b"); !errors.Is(err, store.ErrStateChanged) {
			t.Fatalf("clearing under another key: %v, want ErrStateChanged", err)
		}
		if err := db.ClearRedactionConversion(ctx, "default", "r1", "x1", "conv-a"); err != nil {
			t.Fatal(err)
		}
		if referenced("conv-a") {
			t.Fatal("a cleared conversion is still referenced")
		}
		if err := db.SetRedactionConversion(ctx, "default", "r1", "x1", "conv-c", []byte("sealed c")); err != nil {
			t.Fatal(err)
		}
		var blobs []string
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			blobs, err = tx.DeleteReport(ctx, "default", "r1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(blobs, "conv-c") {
			t.Fatalf("the case's deletion returned blobs %v without the kept conversion", blobs)
		}
		if referenced("conv-c") {
			t.Fatal("the kept conversion is referenced after the case's deletion")
		}
	})
}
