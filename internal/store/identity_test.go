package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func TestIdentityRequestsAreDecidedOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedTenant(t, db)
		insertReport(t, db, "r1", t0, "u1")
		req := store.IdentityRequest{TenantID: "default", ID: "q1", ReportID: "r1", Kind: store.IdentityKindRequest,
			RequesterID: "u1", State: store.IdentityPending, Reason: []byte("sealed"),
			KeyWraps: map[string][]byte{"u1": []byte("w1"), "c1": []byte("w2")}, CreatedAt: t0}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertIdentityRequest(ctx, req) }); err != nil {
			t.Fatal(err)
		}
		got, err := db.IdentityRequest(ctx, "default", "q1")
		if err != nil || got.State != store.IdentityPending || string(got.KeyWraps["c1"]) != "w2" || string(got.Reason) != "sealed" {
			t.Fatalf("got %+v %v", got, err)
		}
		decide := func() error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				return tx.DecideIdentityRequest(ctx, "default", "q1", store.IdentityDenied, "c1", []byte("why"), t0.Add(time.Hour))
			})
		}
		if err := decide(); err != nil {
			t.Fatal(err)
		}
		if err := decide(); !errors.Is(err, store.ErrAlreadyDecided) {
			t.Fatalf("second decision: %v", err)
		}
		got, _ = db.IdentityRequest(ctx, "default", "q1")
		if got.State != store.IdentityDenied || got.DecidedBy != "c1" || !got.DecidedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("decided %+v", got)
		}
		// Deleting the case deletes its requests.
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.DeleteReport(ctx, "default", "r1"); return err }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IdentityRequest(ctx, "default", "q1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("request survives case deletion: %v", err)
		}
	})
}

func TestInsertReportKeyIfAbsent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedTenant(t, db)
		insertReport(t, db, "r1", t0)
		k := store.ReportKey{TenantID: "default", ReportID: "r1", Kind: store.KeyIdentity, HolderType: store.HolderUser,
			HolderID: "u9", Alg: "age", Wrapped: []byte("a"), CreatedAt: t0}
		for i, want := range []bool{true, false} {
			var added bool
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				added, err = tx.InsertReportKeyIfAbsent(ctx, k)
				return err
			})
			if err != nil || added != want {
				t.Fatalf("insert %d: added %v err %v", i, added, err)
			}
		}
	})
}
