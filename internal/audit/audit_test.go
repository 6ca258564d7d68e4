package audit_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestHashKnownAnswerVectorAL1 pins the canonical encoding and chain hash.
// The expected values were computed independently (Python hashlib/struct)
// from the encoding described in store.AuditEncoding; if this test fails,
// every existing log stops verifying.
func TestHashKnownAnswerVectorAL1(t *testing.T) {
	e1 := store.AuditEntry{TenantID: "default", Seq: 1, At: t0, ActorType: "staff", ActorID: "u1",
		Action: "case.read", ObjectType: "case", ObjectID: "r1"}
	const enc1 = "76617273656c2f76312061756469740000000764656661756c7400000000000000010000019ca9450a00" +
		"00000005737461666600000002753100000009636173652e72656164000000046361736500000002723100000000"
	if got := hex.EncodeToString(store.AuditEncoding(e1)); got != enc1 {
		t.Fatalf("encoding:\n got %s\nwant %s", got, enc1)
	}
	h1 := audit.Hash(store.AuditGenesisHash(), e1)
	if got := hex.EncodeToString(h1); got != "d083f553df0fd930dcdee7479ddcba5da97846b893f53dbace08c89c72b07a6d" {
		t.Fatalf("hash of entry 1: %s", got)
	}
	e2 := store.AuditEntry{TenantID: "default", Seq: 2, At: t0.Add(1500 * time.Millisecond), ActorType: "staff", ActorID: "u1",
		Action: "case.state", ObjectType: "case", ObjectID: "r1", Detail: "closed"}
	if got := hex.EncodeToString(audit.Hash(h1, e2)); got != "0fd2474fbad672ddd40efb342307e5f7eaef4d72cf93c653ebad7b03e75b487c" {
		t.Fatalf("hash of entry 2: %s", got)
	}
	// Length prefixes: moving a byte between neighbouring fields changes the hash.
	e3 := e1
	e3.ActorType, e3.ActorID = "staffu", "1"
	if hex.EncodeToString(audit.Hash(store.AuditGenesisHash(), e3)) == hex.EncodeToString(h1) {
		t.Fatal("fields are not length-prefixed")
	}
}

func TestRecordRefusesFreeTextUnknownActionsAndMissingActorsAL1(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	log := audit.New(db, func() time.Time { return t0 })
	ctx := context.Background()
	ok := audit.Entry{TenantID: "default", ActorType: audit.ActorStaff, ActorID: "u1",
		Action: audit.ActionCaseStateChange, ObjectType: audit.ObjectCase, ObjectID: "r1", Detail: "closed"}
	bad := map[string]func(e *audit.Entry){
		"free-text detail":        func(e *audit.Entry) { e.Detail = "Closed because the CFO said so" },
		"e-mail address detail":   func(e *audit.Entry) { e.Detail = "anna@example.org" },
		"e-mail address actor id": func(e *audit.Entry) { e.ActorID = "anna@example.org" },
		"long detail":             func(e *audit.Entry) { e.Detail = strings.Repeat("a", audit.MaxTokenLen+1) },
		"non-ASCII object id":     func(e *audit.Entry) { e.ObjectID = "sag-ø" },
		"unknown action":          func(e *audit.Entry) { e.Action = "case.peek" },
		"unknown object type":     func(e *audit.Entry) { e.ObjectType = "whistleblower" },
		"unknown actor type":      func(e *audit.Entry) { e.ActorType = "whistleblower" },
		"staff without user id":   func(e *audit.Entry) { e.ActorID = "" },
		"no tenant":               func(e *audit.Entry) { e.TenantID = "" },
	}
	for name, mutate := range bad {
		e := ok
		mutate(&e)
		if _, err := log.Record(ctx, e); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		} else if strings.Contains(err.Error(), "CFO") || strings.Contains(err.Error(), "anna") {
			t.Errorf("%s: the error repeats the refused value: %v", name, err)
		}
	}
	got, err := log.Record(ctx, ok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != 1 || !got.At.Equal(t0) || got.Detail != "closed" {
		t.Fatalf("recorded %+v", got)
	}
	sys := audit.Entry{TenantID: "default", ActorType: audit.ActorSystem, Action: audit.ActionRetentionDelete,
		ObjectType: audit.ObjectCase, ObjectID: "r1"}
	if _, err := log.Record(ctx, sys); err != nil {
		t.Fatalf("system entry without actor id: %v", err)
	}
}

func TestRecordTxCommitsWithTheActionAL1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		log := audit.New(db, nil)
		ctx := context.Background()
		e := audit.Entry{TenantID: "default", ActorType: audit.ActorStaff, ActorID: "u1",
			Action: audit.ActionCaseDelete, ObjectType: audit.ObjectCase, ObjectID: "r1"}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := log.RecordTx(ctx, tx, e)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r := verify(t, db)
		if r.Broken || r.Entries != 1 {
			t.Fatalf("after RecordTx: %v", r)
		}
	})
}

func verify(t *testing.T, db *store.DB) audit.Report {
	t.Helper()
	r, err := audit.Verify(context.Background(), db, "default")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// record appends n entries for tenant "default", each with every text field
// non-empty so that any one of them can be altered by a byte.
func record(t *testing.T, db *store.DB, n int) {
	t.Helper()
	log := audit.New(db, func() time.Time { return t0 })
	for i := range n {
		if _, err := log.Record(context.Background(), entry(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func entry(i int) audit.Entry {
	return audit.Entry{TenantID: "default", ActorType: audit.ActorStaff, ActorID: fmt.Sprintf("user%d", i%4),
		Action: audit.ActionCaseStateChange, ObjectType: audit.ObjectCase, ObjectID: fmt.Sprintf("case%d", i), Detail: "in_progress"}
}

// forEachRaw is storetest.ForEach that also hands over a second, raw
// connection to the same database, for tampering behind the store's back.
func forEachRaw(t *testing.T, fn func(t *testing.T, db *store.DB, raw *sql.DB)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			dsn, dir := storetest.DSN(t, d)
			db, err := store.Open(context.Background(), dsn, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var raw *sql.DB
			if d == store.SQLite {
				raw, err = sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)")
			} else {
				raw, err = sql.Open("pgx", dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			fn(t, db, raw)
		})
	}
}

func mustExec(t *testing.T, raw *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := raw.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows changed, want 1", q, n)
	}
}

func TestVerifyAcceptsAnIntactChainAcrossPagesIncludingConcurrentRecordsAL1(t *testing.T) {
	defer audit.SetPageSize(7)()
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		if r := verify(t, db); r.Broken || r.Entries != 0 || r.String() != "audit log intact: 0 entries" {
			t.Fatalf("empty log: %v", r)
		}
		log := audit.New(db, nil)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for w := range 10 {
			wg.Go(func() {
				for i := range 10 {
					if _, err := log.Record(context.Background(), entry(w*10+i)); err != nil {
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
		r := verify(t, db)
		if r.Broken || r.Entries != 100 || r.String() != "audit log intact: 100 entries" {
			t.Fatalf("after 100 concurrent records: %v", r)
		}
		head, err := db.AuditHead(context.Background(), "default")
		if err != nil || string(head.Hash) != string(r.Head) {
			t.Fatalf("report head %x, stored head %x (%v)", r.Head, head.Hash, err)
		}
	})
}

func TestVerifyFindsOneChangedByteAtExactlyThatEntryAL1(t *testing.T) {
	defer audit.SetPageSize(4)()
	const n, victim = 12, 6
	cases := []struct {
		column string
		reason audit.Reason
	}{
		{"actor_id", audit.ReasonHashMismatch},
		{"action", audit.ReasonHashMismatch},
		{"object_id", audit.ReasonHashMismatch},
		{"detail", audit.ReasonHashMismatch},
		{"actor_type", audit.ReasonHashMismatch},
		{"object_type", audit.ReasonHashMismatch},
		{"at", audit.ReasonHashMismatch},
		{"hash", audit.ReasonHashMismatch},
		{"prev_hash", audit.ReasonPrevHashMismatch},
		{"seq", audit.ReasonSeqGap},
	}
	for _, c := range cases {
		t.Run(c.column, func(t *testing.T) {
			forEachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
				record(t, db, n)
				where := " WHERE tenant_id = 'default' AND seq = $2"
				switch c.column {
				case "at", "seq":
					// 1 ms later, or a seq far away: one byte of the integer.
					delta := int64(1)
					if c.column == "seq" {
						delta = 256
					}
					mustExec(t, raw, "UPDATE audit_log SET "+c.column+" = "+c.column+" + $1"+where, delta, victim)
				case "hash", "prev_hash":
					var b []byte
					if err := raw.QueryRow("SELECT "+c.column+" FROM audit_log WHERE tenant_id = 'default' AND seq = $1", victim).Scan(&b); err != nil {
						t.Fatal(err)
					}
					b[17] ^= 0x01
					mustExec(t, raw, "UPDATE audit_log SET "+c.column+" = $1"+where, b, victim)
				default:
					var s string
					if err := raw.QueryRow("SELECT "+c.column+" FROM audit_log WHERE tenant_id = 'default' AND seq = $1", victim).Scan(&s); err != nil {
						t.Fatal(err)
					}
					s = s[:len(s)-1] + string(s[len(s)-1]^0x01)
					mustExec(t, raw, "UPDATE audit_log SET "+c.column+" = $1"+where, s, victim)
				}
				r := verify(t, db)
				if !r.Broken || r.BrokenAt != victim || r.Reason != c.reason || r.Entries != victim-1 {
					t.Fatalf("after changing %s of entry %d: %v (reason %q, %d intact), want broken at %d: %s",
						c.column, victim, r, r.Reason, r.Entries, victim, c.reason)
				}
				if want := fmt.Sprintf("audit log broken at entry %d: %s", victim, c.reason); !strings.HasPrefix(r.String(), want) {
					t.Fatalf("report reads %q, want it to start with %q", r, want)
				}
			})
		})
	}
}

func TestVerifyDetectsTheLastEntryDeletedAL1(t *testing.T) {
	forEachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		record(t, db, 5)
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 5)
		r := verify(t, db)
		if !r.Broken || r.BrokenAt != 5 || r.Reason != audit.ReasonTruncated || r.Entries != 4 {
			t.Fatalf("after deleting the last entry: %v", r)
		}
		// Deleting every entry leaves the head to tell.
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 4)
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 3)
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 2)
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 1)
		if r := verify(t, db); !r.Broken || r.BrokenAt != 1 || r.Reason != audit.ReasonTruncated {
			t.Fatalf("after deleting every entry: %v", r)
		}
	})
}

func TestVerifyDetectsAMiddleEntryDeletedAL1(t *testing.T) {
	defer audit.SetPageSize(3)()
	forEachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		record(t, db, 9)
		mustExec(t, raw, "DELETE FROM audit_log WHERE tenant_id = 'default' AND seq = $1", 4)
		r := verify(t, db)
		if !r.Broken || r.BrokenAt != 4 || r.Reason != audit.ReasonSeqGap || r.Entries != 3 {
			t.Fatalf("after deleting entry 4: %v", r)
		}
	})
}

func TestVerifyDetectsTamperedOrMissingHeadAL1(t *testing.T) {
	forEachRaw(t, func(t *testing.T, db *store.DB, raw *sql.DB) {
		record(t, db, 5)
		var h []byte
		if err := raw.QueryRow("SELECT hash FROM audit_heads WHERE tenant_id = 'default'").Scan(&h); err != nil {
			t.Fatal(err)
		}
		h[0] ^= 0x80
		mustExec(t, raw, "UPDATE audit_heads SET hash = $1 WHERE tenant_id = 'default'", h)
		if r := verify(t, db); !r.Broken || r.BrokenAt != 5 || r.Reason != audit.ReasonHeadMismatch {
			t.Fatalf("after changing the head's hash: %v", r)
		}
		h[0] ^= 0x80
		mustExec(t, raw, "UPDATE audit_heads SET hash = $1 WHERE tenant_id = 'default'", h)
		if r := verify(t, db); r.Broken {
			t.Fatalf("after restoring the head: %v", r)
		}

		// The head set back by one while the entry stays: entry 5 is beyond it.
		var h4 []byte
		if err := raw.QueryRow("SELECT hash FROM audit_log WHERE tenant_id = 'default' AND seq = 4").Scan(&h4); err != nil {
			t.Fatal(err)
		}
		mustExec(t, raw, "UPDATE audit_heads SET seq = 4, hash = $1 WHERE tenant_id = 'default'", h4)
		if r := verify(t, db); !r.Broken || r.BrokenAt != 5 || r.Reason != audit.ReasonHeadMismatch {
			t.Fatalf("after setting the head back: %v", r)
		}

		mustExec(t, raw, "DELETE FROM audit_heads WHERE tenant_id = 'default'")
		if r := verify(t, db); !r.Broken || r.BrokenAt != 1 || r.Reason != audit.ReasonHeadMissing {
			t.Fatalf("after deleting the head: %v", r)
		}
	})
}
