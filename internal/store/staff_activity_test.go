package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// AR-1: the access review shows each user's last recorded activity: the
// newest audit entry the user made, per tenant, ignoring system entries
// and other tenants.
func TestStaffLastActivityIsTheNewestAuditEntryOfEachUser(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		ctx := context.Background()
		now := t0
		log := audit.New(db, func() time.Time { return now })
		record := func(tenant, actorType, actor string, at time.Time) {
			t.Helper()
			now = at
			if _, err := log.Record(ctx, audit.Entry{TenantID: tenant, ActorType: actorType, ActorID: actor,
				Action: audit.ActionLogin, ObjectType: audit.ObjectUser, ObjectID: actor}); err != nil {
				t.Fatal(err)
			}
		}
		record("default", audit.ActorStaff, "alice", t0)
		record("default", audit.ActorStaff, "alice", t0.Add(48*time.Hour))
		record("default", audit.ActorStaff, "bob", t0.Add(time.Hour))
		record("default", audit.ActorSystem, "retention", t0.Add(72*time.Hour))
		record("other", audit.ActorStaff, "carol", t0.Add(96*time.Hour))

		got, err := db.StaffLastActivity(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]time.Time{"alice": t0.Add(48 * time.Hour), "bob": t0.Add(time.Hour)}
		if len(got) != len(want) {
			t.Fatalf("last activity = %v, want %v", got, want)
		}
		for id, at := range want {
			if !got[id].Equal(at) {
				t.Errorf("%s: last activity %v, want %v", id, got[id], at)
			}
		}
	})
}
