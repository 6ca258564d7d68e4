package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func seedTenant(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTenant(ctx, store.Tenant{ID: "default", Name: "Org", ReceiptSalt: []byte("salt"), CreatedAt: t0}); err != nil {
			return err
		}
		return tx.InsertChannel(ctx, store.Channel{TenantID: "default", ID: "ch1", Name: `{"en":"General"}`, Description: `{}`,
			QuestionnaireID: "default", QuestionnaireVersion: 1, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func insertReport(t *testing.T, db *store.DB, id string, at time.Time, holders ...string) int64 {
	t.Helper()
	ctx := context.Background()
	var number int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.NextCaseNumber(ctx, "default")
		if err != nil {
			return err
		}
		number = n
		if err := tx.InsertReport(ctx, store.Report{TenantID: "default", ID: id, CaseNumber: n, ChannelID: "ch1",
			QuestionnaireID: "default", QuestionnaireVersion: 1, Status: "received", ReceiptLookup: []byte("lookup-" + id),
			FileRecipient: "age1x", FileIdentity: []byte{1}, Answers: []byte{2}, ReceivedAt: at, LastActivityAt: at}); err != nil {
			return err
		}
		for _, h := range holders {
			if err := tx.InsertReportKey(ctx, store.ReportKey{TenantID: "default", ReportID: id, Kind: store.KeyReport,
				HolderType: store.HolderUser, HolderID: h, Alg: "age", Wrapped: []byte{3}, CreatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return number
}

func TestMigrationsAreIdempotentAcrossRestarts(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			dsn, dir := storetest.DSN(t, d)
			for range 2 {
				db, err := store.Open(context.Background(), dsn, dir)
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
		})
	}
}

func TestCaseNumbersAreSequentialPerTenant(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		for i := range 3 {
			if n := insertReport(t, db, fmt.Sprintf("r%d", i), t0); n != int64(i+1) {
				t.Fatalf("case number %d, want %d", n, i+1)
			}
		}
	})
}

func TestDuplicateReceiptLookupIsRejected(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		insertReport(t, db, "a", t0)
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertReport(ctx, store.Report{TenantID: "default", ID: "b", CaseNumber: 99, ChannelID: "ch1",
				QuestionnaireID: "default", QuestionnaireVersion: 1, Status: "received", ReceiptLookup: []byte("lookup-a"),
				FileRecipient: "age1x", FileIdentity: []byte{1}, Answers: []byte{2}, ReceivedAt: t0, LastActivityAt: t0})
		})
		if !errors.Is(err, store.ErrDuplicateReceipt) {
			t.Fatalf("err = %v, want ErrDuplicateReceipt", err)
		}
	})
}

func TestInboxShowsOnlyCasesTheUserHoldsAKeyFor(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		insertReport(t, db, "mine-old", t0, "alice")
		insertReport(t, db, "theirs", t0.Add(time.Hour), "bob")
		insertReport(t, db, "mine-new", t0.Add(2*time.Hour), "alice", "bob")
		page, err := db.Inbox(context.Background(), store.InboxQuery{TenantID: "default", UserID: "alice"})
		rows, total := page.Rows, page.Total
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(rows) != 2 || rows[0].ReportID != "mine-new" || rows[1].ReportID != "mine-old" {
			t.Fatalf("inbox = %+v (total %d)", rows, total)
		}
		if !rows[0].Unread() {
			t.Error("a never-opened case must be unread")
		}
		other, err := db.Inbox(context.Background(), store.InboxQuery{TenantID: "other", UserID: "alice"})
		if err != nil || len(other.Rows) != 0 {
			t.Fatalf("another tenant's inbox = %v, %v", other, err)
		}
	})
}

func TestInboxSortsAndPages(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		for i := range 5 {
			insertReport(t, db, fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour), "alice")
		}
		ctx := context.Background()
		got, err := db.Inbox(ctx, store.InboxQuery{TenantID: "default", UserID: "alice", Sort: "number", Asc: true, Limit: 2, Offset: 2})
		if err != nil {
			t.Fatal(err)
		}
		page := got.Rows
		if got.Total != 5 || got.TotalIsLowerBound || len(page) != 2 || page[0].CaseNumber != 3 || page[1].CaseNumber != 4 {
			t.Fatalf("page = %+v", got)
		}
		// Unknown sort keys fall back to newest first instead of reaching SQL.
		got, err = db.Inbox(ctx, store.InboxQuery{TenantID: "default", UserID: "alice", Sort: "1; DROP TABLE reports", Limit: 1})
		if err != nil || got.Rows[0].ReportID != "r4" {
			t.Fatalf("fallback page = %+v, %v", page, err)
		}
	})
}

func TestMarkReadClearsUnreadUntilNewActivity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		insertReport(t, db, "r", t0, "alice")
		ctx := context.Background()
		if err := db.MarkRead(ctx, "default", "r", "alice", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		page, _ := db.Inbox(ctx, store.InboxQuery{TenantID: "default", UserID: "alice"})
		if page.Rows[0].Unread() {
			t.Fatal("read case shown unread")
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.TouchReport(ctx, "default", "r", t0.Add(time.Hour)) }); err != nil {
			t.Fatal(err)
		}
		page, _ = db.Inbox(ctx, store.InboxQuery{TenantID: "default", UserID: "alice"})
		if !page.Rows[0].Unread() {
			t.Fatal("new activity must mark the case unread")
		}
	})
}

func TestDeleteReportRemovesKeysRowsAndReturnsBlobs(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		seedTenant(t, db)
		insertReport(t, db, "r", t0, "alice")
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertFile(ctx, store.File{TenantID: "default", ID: "f", ReportID: "r", BlobKey: "blob-0001",
				Meta: []byte{1}, AuthorType: store.AuthorWhistleblower, CreatedAt: t0})
		})
		if err != nil {
			t.Fatal(err)
		}
		var blobs []string
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			blobs, err = tx.DeleteReport(ctx, "default", "r")
			return err
		})
		if err != nil || len(blobs) != 1 || blobs[0] != "blob-0001" {
			t.Fatalf("blobs = %v, %v", blobs, err)
		}
		if _, err := db.ReportKey(ctx, "default", "r", store.KeyReport, store.HolderUser, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("wrapped key survived deletion: %v", err)
		}
		if ref, _ := db.BlobReferenced(ctx, "blob-0001"); ref {
			t.Fatal("file row survived deletion")
		}
	})
}

func TestSessionsExpire(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Session{TenantID: "default", ID: "sid", Kind: store.SessionStaff, SubjectID: "u", SealedKey: []byte{1},
			CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Minute)}
		if err := db.InsertSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, "sid", store.SessionStaff, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, "sid", store.SessionWhistleblower, t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a staff session must not open as a whistleblower session")
		}
		if _, err := db.Session(ctx, "sid", store.SessionStaff, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("expired session still valid")
		}
		if n, err := db.DeleteExpiredSessions(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("deleted %d, %v", n, err)
		}
	})
}

func TestDuplicateUserEmailIsErrDuplicate(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u := store.User{TenantID: "default", ID: store.NewID(), Email: "a@example.org", Role: "handler", PwSalt: []byte{1},
			PwParams: "x", PwVerifier: []byte{1}, PublicKey: "age1", SecretByPw: []byte{1}, SecretByRec: []byte{1},
			TOTPByPw: []byte{1}, TOTPByRec: []byte{1}, CreatedAt: t0}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		u.ID = store.NewID()
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) })
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("err = %v, want ErrDuplicate", err)
		}
	})
}
