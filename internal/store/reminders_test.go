package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func remUser(t *testing.T, db *store.DB, id, email string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertUser(ctx, store.User{TenantID: "default", ID: id, Email: email, Role: "handler",
			PwSalt: []byte{0}, PwParams: "p", PwVerifier: []byte{0}, PublicKey: "age1" + id,
			SecretByPw: []byte{0}, SecretByRec: []byte{0}, TOTPByPw: []byte{0}, TOTPByRec: []byte{0}, CreatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// remReport inserts a report with the given milestones (zero = not yet)
// and report keys for holders.
func remReport(t *testing.T, db *store.DB, r store.Report, holders ...string) int64 {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.NextCaseNumber(ctx, "default")
		if err != nil {
			return err
		}
		r.CaseNumber = n
		r.TenantID, r.ChannelID, r.QuestionnaireID, r.QuestionnaireVersion = "default", "ch1", "default", 1
		r.Status, r.ReceiptLookup, r.FileRecipient, r.FileIdentity = "received", []byte("lookup-"+r.ID), "age1x", []byte{1}
		r.Answers, r.LastActivityAt = []byte{2}, r.ReceivedAt
		if err := tx.InsertReport(ctx, r); err != nil {
			return err
		}
		for _, h := range holders {
			if err := tx.InsertReportKey(ctx, store.ReportKey{TenantID: "default", ReportID: r.ID, Kind: store.KeyReport,
				HolderType: store.HolderUser, HolderID: h, Alg: "age", Wrapped: []byte{3}, CreatedAt: r.ReceivedAt}); err != nil {
				return err
			}
			// An identity key as well must not list the holder twice.
			if err := tx.InsertReportKey(ctx, store.ReportKey{TenantID: "default", ReportID: r.ID, Kind: store.KeyIdentity,
				HolderType: store.HolderUser, HolderID: h, Alg: "age", Wrapped: []byte{3}, CreatedAt: r.ReceivedAt}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.CaseNumber
}

func TestDueCasesListsPendingDeadlinesWithHandlers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedTenant(t, db)
		remUser(t, db, "u1", "one@example.org")
		remUser(t, db, "u2", "two@example.org")
		day := 24 * time.Hour
		recv := t0
		ackDue, fbDue := recv.Add(7*day), recv.Add(97*day)
		set := func(id string, ack, fb time.Time) {
			t.Helper()
			if err := db.SetDeadlines(ctx, "default", id, ack, fb); err != nil {
				t.Fatal(err)
			}
		}
		remReport(t, db, store.Report{ID: "pending", ReceivedAt: recv}, "u1", "u2")
		set("pending", ackDue, fbDue)
		remReport(t, db, store.Report{ID: "acked", ReceivedAt: recv, AcknowledgedAt: recv.Add(day)}, "u1")
		set("acked", ackDue, fbDue)
		remReport(t, db, store.Report{ID: "closed", ReceivedAt: recv, ClosedAt: recv.Add(day)}, "u1")
		set("closed", ackDue, fbDue)
		remReport(t, db, store.Report{ID: "done", ReceivedAt: recv, AcknowledgedAt: recv.Add(day), FeedbackGivenAt: recv.Add(2 * day)}, "u1")
		set("done", ackDue, fbDue)
		remReport(t, db, store.Report{ID: "orphan", ReceivedAt: recv})
		set("orphan", ackDue, fbDue)
		remReport(t, db, store.Report{ID: "nodates", ReceivedAt: recv}, "u1")

		ids := func(cs []store.DueCase) (out []string) {
			for _, c := range cs {
				out = append(out, c.ReportID)
			}
			return out
		}
		// Before the acknowledgement deadline nothing is due.
		cs, err := db.DueCases(ctx, "default", ackDue)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 0 {
			t.Fatalf("due before ack deadline: %v", ids(cs))
		}
		// Past it: the unacknowledged open cases.
		cs, err = db.DueCases(ctx, "default", ackDue.Add(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(cs); len(got) != 2 || got[0] != "pending" || got[1] != "orphan" {
			t.Fatalf("due after ack deadline: %v", got)
		}
		p := cs[0]
		if p.CaseNumber != 1 || !p.AckDueAt.Equal(ackDue) || !p.FeedbackDueAt.Equal(fbDue) || !p.AcknowledgedAt.IsZero() || !p.ReceivedAt.Equal(recv) {
			t.Fatalf("pending case: %+v", p)
		}
		if len(p.Handlers) != 2 || p.Handlers[0] != (store.CaseHandler{UserID: "u1", Email: "one@example.org"}) ||
			p.Handlers[1] != (store.CaseHandler{UserID: "u2", Email: "two@example.org"}) {
			t.Fatalf("handlers: %+v", p.Handlers)
		}
		if len(cs[1].Handlers) != 0 {
			t.Fatalf("orphan handlers: %+v", cs[1].Handlers)
		}
		// Past the feedback deadline the acknowledged case joins; the
		// closed one and the one with feedback given never do.
		cs, err = db.DueCases(ctx, "default", fbDue.Add(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(cs); len(got) != 3 || got[0] != "pending" || got[1] != "acked" || got[2] != "orphan" {
			t.Fatalf("due after feedback deadline: %v", got)
		}
		if !cs[1].AcknowledgedAt.Equal(recv.Add(day)) {
			t.Fatalf("acked case: %+v", cs[1])
		}
		// Other tenants see nothing.
		if cs, err := db.DueCases(ctx, "other", fbDue.Add(day)); err != nil || len(cs) != 0 {
			t.Fatalf("other tenant: %v %v", ids(cs), err)
		}
		if err := db.SetDeadlines(ctx, "default", "missing", ackDue, fbDue); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing report: %v", err)
		}
	})
}

func TestMarkReminderSentOnlyOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedTenant(t, db)
		claim := func(kind, user string, want bool) {
			t.Helper()
			ok, err := db.MarkReminderSent(ctx, "default", "r1", kind, user, t0)
			if err != nil {
				t.Fatal(err)
			}
			if ok != want {
				t.Fatalf("%s/%s: claimed=%v, want %v", kind, user, ok, want)
			}
		}
		claim("ack_due_soon", "u1", true)
		claim("ack_due_soon", "u1", false)
		claim("ack_overdue", "u1", true)
		claim("ack_due_soon", "u2", true)
		if err := db.UnmarkReminderSent(ctx, "default", "r1", "ack_due_soon", "u1"); err != nil {
			t.Fatal(err)
		}
		claim("ack_due_soon", "u1", true)
		if err := db.ResetReminders(ctx, "default", "r1", "ack_due_soon"); err != nil {
			t.Fatal(err)
		}
		claim("ack_due_soon", "u1", true)
		claim("ack_due_soon", "u2", true)
		claim("ack_overdue", "u1", false)
	})
}
