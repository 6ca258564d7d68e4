package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func auditEntry(tenant string, i int) store.AuditEntry {
	return store.AuditEntry{TenantID: tenant, At: t0.Add(time.Duration(i) * time.Second), ActorType: "staff",
		ActorID: fmt.Sprintf("user%d", i%3), Action: "case.read", ObjectType: "case", ObjectID: fmt.Sprintf("case%d", i)}
}

// checkChain asserts that the tenant's log holds seqs 1..want, each linked to
// the one before by its hash, and that the head points at the last one.
func checkChain(t *testing.T, db *store.DB, tenant string, want int) []store.AuditEntry {
	t.Helper()
	ctx := context.Background()
	var all []store.AuditEntry
	for from := int64(1); ; {
		page, err := db.AuditEntries(ctx, tenant, from, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		from = page[len(page)-1].Seq + 1
	}
	if len(all) != want {
		t.Fatalf("%d entries, want %d", len(all), want)
	}
	prev := store.AuditGenesisHash()
	for i, e := range all {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d: seqs are not gapless", i+1, e.Seq)
		}
		if !bytes.Equal(e.PrevHash, prev) {
			t.Fatalf("entry %d: prev_hash is not the previous entry's hash", e.Seq)
		}
		if !bytes.Equal(e.Hash, store.AuditHash(prev, e)) {
			t.Fatalf("entry %d: stored hash is not SHA-256(prev || encoding)", e.Seq)
		}
		prev = e.Hash
	}
	head, err := db.AuditHead(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq != int64(want) || !bytes.Equal(head.Hash, prev) {
		t.Fatalf("head is seq %d, want %d with the last entry's hash", head.Seq, want)
	}
	return all
}

func TestAuditAppendAssignsGaplessSeqsAndChainsHashesPerTenantAL1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.AuditHead(ctx, "default"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("head before the first entry: %v, want ErrNotFound", err)
		}
		for i := range 25 {
			got, err := db.AppendAudit(ctx, auditEntry("default", i))
			if err != nil {
				t.Fatal(err)
			}
			if got.Seq != int64(i+1) || len(got.Hash) != 32 {
				t.Fatalf("append %d returned seq %d, hash of %d bytes", i, got.Seq, len(got.Hash))
			}
			if i == 0 && !bytes.Equal(got.PrevHash, make([]byte, 32)) {
				t.Fatalf("first entry's prev_hash is %x, want 32 zero bytes (genesis)", got.PrevHash)
			}
		}
		// Another tenant has a chain of its own, starting at 1.
		other, err := db.AppendAudit(ctx, auditEntry("other", 0))
		if err != nil {
			t.Fatal(err)
		}
		if other.Seq != 1 {
			t.Fatalf("other tenant's first seq is %d", other.Seq)
		}
		all := checkChain(t, db, "default", 25)
		checkChain(t, db, "other", 1)

		// What is read back is what was appended, time in milliseconds.
		want := auditEntry("default", 3)
		if e := all[3]; !e.At.Equal(want.At) || e.ActorID != want.ActorID || e.ObjectID != want.ObjectID || e.Action != want.Action {
			t.Fatalf("entry 4 read back as %+v", e)
		}
	})
}

func TestAuditConcurrentAppendsGetGaplessSeqsAndOneLinearChainAL1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const workers, each = 12, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					if _, err := db.AppendAudit(ctx, auditEntry("default", w*each+i)); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := checkChain(t, db, "default", workers*each)
		seen := map[string]bool{}
		for _, e := range all {
			if seen[e.ObjectID] {
				t.Fatalf("%s logged twice", e.ObjectID)
			}
			seen[e.ObjectID] = true
		}
	})
}

func TestAuditEntryRollsBackWithItsTransactionAL1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.AppendAudit(ctx, auditEntry("default", 0)); err != nil {
			t.Fatal(err)
		}
		failed := errors.New("action failed")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AppendAudit(ctx, auditEntry("default", 1)); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		// Also the very first entry of a tenant: the head row it created goes too.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AppendAudit(ctx, auditEntry("fresh", 1)); err != nil {
				return err
			}
			return failed
		}); !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if _, err := db.AuditHead(ctx, "fresh"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("head of a rolled-back first entry: %v", err)
		}
		if e, err := db.AppendAudit(ctx, auditEntry("default", 2)); err != nil || e.Seq != 2 {
			t.Fatalf("append after rollback: seq %d, %v; want 2", e.Seq, err)
		}
		checkChain(t, db, "default", 2)
	})
}

func TestAuditAppendRefusesIncompleteEntriesAL1(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	for name, e := range map[string]store.AuditEntry{
		"no tenant":     {At: t0, ActorType: "staff", Action: "case.read"},
		"no action":     {TenantID: "default", At: t0, ActorType: "staff"},
		"no actor type": {TenantID: "default", At: t0, Action: "case.read"},
		"no time":       {TenantID: "default", ActorType: "staff", Action: "case.read"},
	} {
		if _, err := db.AppendAudit(ctx, e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := db.AuditHead(ctx, "default"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused entry left a head: %v", err)
	}
}

func TestAuditEntriesPagesFromASeqAL1(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	for i := range 10 {
		if _, err := db.AppendAudit(ctx, auditEntry("default", i)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := db.AuditEntries(ctx, "default", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || page[0].Seq != 4 || page[2].Seq != 6 {
		t.Fatalf("page from 4, limit 3: %d entries starting at %d", len(page), page[0].Seq)
	}
	if page, err := db.AuditEntries(ctx, "other", 1, 3); err != nil || len(page) != 0 {
		t.Fatalf("another tenant's entries: %d, %v", len(page), err)
	}
}
