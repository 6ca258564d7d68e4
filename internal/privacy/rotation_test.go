package privacy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// openAll opens every register entry of the tenant with k; it returns how
// many opened and how many did not.
func openAll(t *testing.T, db *store.DB, k keys.Key) (opened, failed int) {
	t.Helper()
	for _, reg := range []string{store.RegisterDSR, store.RegisterBreach} {
		var parents []string
		if reg == store.RegisterDSR {
			rows, err := db.DSRs(context.Background(), org.DefaultTenant, start, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rows {
				parents = append(parents, d.ID)
			}
		}
		for _, p := range parents {
			entries, err := db.RegisterEntries(context.Background(), org.DefaultTenant, reg, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if _, err := keys.Open(k, e.Body, keys.AD(org.DefaultTenant, "register", e.Register, e.ParentID, e.ID)); err != nil {
					failed++
				} else {
					opened++
				}
			}
		}
	}
	return opened, failed
}

func (e *env) unwrapRegisterKey(st *accounts.Staff, wrapped []byte) keys.Key {
	e.t.Helper()
	k, err := st.Identity.UnwrapKey(wrapped)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func (e *env) newRequest(st *accounts.Staff, who string) string {
	e.t.Helper()
	v, err := e.svc.RecordRequest(context.Background(), st, privacy.NewRequest{Type: "access", Channel: "letter",
		ReceivedAt: e.clock.Now().Add(-time.Hour), Requester: who})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

// A DPO disabled in an access review (AR-1) loses the register key: their
// wrap is deleted and K_reg rotated in the same transaction, so the key
// they may have kept opens neither the entries written afterwards nor the
// re-sealed earlier ones, while the remaining admins and DPOs open all.
func TestRegisterKeyRotatesWhenAHolderIsDisabled(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		admin, dpo, leaver := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO), e.user(accounts.RoleDPO)
		first := e.newRequest(admin, "Before Rotation")
		// The leaver opens the registers: the key is wrapped to them.
		if _, err := e.svc.Request(ctx, leaver, first); err != nil {
			t.Fatal(err)
		}
		oldWrap, err := db.RegisterKey(ctx, org.DefaultTenant, leaver.UserID)
		if err != nil {
			t.Fatal(err)
		}
		oldKey := e.unwrapRegisterKey(leaver, oldWrap)
		if n, bad := openAll(t, db, oldKey); n != 1 || bad != 0 {
			t.Fatalf("before rotation the key opens %d, fails %d", n, bad)
		}

		r, err := e.svc.StartAccessReview(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Attest(ctx, admin, r.ID, leaver.UserID, privacy.Attestation{Decision: privacy.DecisionDisable}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RegisterKey(ctx, org.DefaultTenant, leaver.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the former holder's wrap is still stored: %v", err)
		}
		second := e.newRequest(dpo, "After Rotation")

		if n, _ := openAll(t, db, oldKey); n != 0 {
			t.Fatalf("the rotated-out key still opens %d entries", n)
		}
		for _, st := range []*accounts.Staff{admin, dpo} {
			w, err := db.RegisterKey(ctx, org.DefaultTenant, st.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if n, bad := openAll(t, db, e.unwrapRegisterKey(st, w)); n != 2 || bad != 0 {
				t.Fatalf("%s opens %d entries, fails %d", st.Role, n, bad)
			}
			for _, id := range []string{first, second} {
				if _, err := e.svc.Request(ctx, st, id); err != nil {
					t.Fatalf("%s cannot read request %s: %v", st.Role, id, err)
				}
			}
		}
		if e.auditCount("register.write", "register", "keys", "register_key.rotate") != 1 {
			t.Fatal("the rotation is not audited once")
		}
	})
}

// When the admin who takes the role away holds no register key, the
// lost holder's wrap is deleted and the rotation is left pending; the next
// holder to open the registers rotates before anything else, so an
// interrupted or deferred rotation loses nothing.
func TestRegisterKeyRotationPendingIsCompletedByTheNextHolder(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		dpo, leaver := e.user(accounts.RoleDPO), e.user(accounts.RoleAdmin)
		e.newRequest(dpo, "Early")
		if _, err := e.svc.Requests(ctx, leaver); err != nil {
			t.Fatal(err)
		}
		oldWrap, err := db.RegisterKey(ctx, org.DefaultTenant, leaver.UserID)
		if err != nil {
			t.Fatal(err)
		}
		oldKey := e.unwrapRegisterKey(leaver, oldWrap)
		// The role goes some other way than a review (here straight in the store).
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetUserRole(ctx, org.DefaultTenant, leaver.UserID, accounts.RoleHandler)
		}); err != nil {
			t.Fatal(err)
		}
		// A second admin joins; the next use rotates and shares the new key.
		newcomer := e.user(accounts.RoleAdmin)
		id := e.newRequest(dpo, "Later")
		if _, err := db.RegisterKey(ctx, org.DefaultTenant, leaver.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the stale wrap survived the rotation")
		}
		if n, _ := openAll(t, db, oldKey); n != 0 {
			t.Fatalf("the old key still opens %d entries", n)
		}
		if _, err := e.svc.Request(ctx, newcomer, id); err != nil {
			t.Fatalf("the newcomer cannot read: %v", err)
		}
		st, err := db.RegisterKeyState(ctx, org.DefaultTenant, accounts.RoleAdmin, accounts.RoleDPO)
		if err != nil || st.Generation != 2 || st.RotatePending || st.StaleHolders != 0 {
			t.Fatalf("keyring %+v %v", st, err)
		}
		// Rotating by hand moves to the next generation; everything still opens.
		if err := e.svc.RotateRegisterKey(ctx, dpo); err != nil {
			t.Fatal(err)
		}
		w, _ := db.RegisterKey(ctx, org.DefaultTenant, newcomer.UserID)
		if n, bad := openAll(t, db, e.unwrapRegisterKey(newcomer, w)); n != 2 || bad != 0 {
			t.Fatalf("after the manual rotation: %d opened, %d failed", n, bad)
		}
		if err := e.svc.RotateRegisterKey(ctx, e.user(accounts.RoleHandler)); !errors.Is(err, privacy.ErrForbidden) {
			t.Fatalf("a handler rotated the key: %v", err)
		}
	})
}
