package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

const (
	sealedMarker   = "SEALED-CONTENT-MARKER-7f3a"
	identityMarker = "Jane Whistleblower-Doe"
	tenant         = "default"
	staffURL       = "https://staff.varsel.test/"
)

type fixture struct {
	db   *store.DB
	ids  map[string]string // name → report id
	nums map[string]int64
}

func seed(t *testing.T, db *store.DB, t0 time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, ids: map[string]string{}, nums: map[string]int64{}}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTenant(ctx, store.Tenant{ID: tenant, Name: "Acme A/S", ReceiptSalt: []byte("salt"), CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.InsertChannel(ctx, store.Channel{TenantID: tenant, ID: "general", Name: `{"en":"General"}`, Description: `{}`,
			QuestionnaireID: "default", QuestionnaireVersion: 1, CreatedAt: t0}); err != nil {
			return err
		}
		for _, u := range []struct{ id, email string }{{"u1", "first@acme.test"}, {"u2", "second@acme.test"}} {
			if err := tx.InsertUser(ctx, store.User{TenantID: tenant, ID: u.id, Email: u.email, Role: "handler",
				PwSalt: []byte{0}, PwParams: "p", PwVerifier: []byte{0}, PublicKey: "age1" + u.id, SecretByPw: []byte{0},
				SecretByRec: []byte{0}, TOTPByPw: []byte{0}, TOTPByRec: []byte{0}, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// addCase stores a report with sealed-content markers, keys for holders,
// and the deadlines the policy gives it.
func (f *fixture) addCase(t *testing.T, name string, p deadline.Policy, r store.Report, holders ...string) {
	t.Helper()
	ctx := context.Background()
	r.ID = store.NewID()
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.NextCaseNumber(ctx, tenant)
		if err != nil {
			return err
		}
		r.TenantID, r.CaseNumber, r.ChannelID, r.QuestionnaireID, r.QuestionnaireVersion = tenant, n, "general", "default", 1
		r.Status, r.ReceiptLookup, r.FileRecipient, r.FileIdentity = "received", []byte("lookup-"+name), "age1file", []byte{1}
		r.Answers, r.IdentityAnswers = []byte("answers: "+sealedMarker), []byte(identityMarker)
		r.LastActivityAt = r.ReceivedAt
		if err := tx.InsertReport(ctx, r); err != nil {
			return err
		}
		f.nums[name] = n
		for _, h := range holders {
			if err := tx.InsertReportKey(ctx, store.ReportKey{TenantID: tenant, ReportID: r.ID, Kind: store.KeyReport,
				HolderType: store.HolderUser, HolderID: h, Alg: "age", Wrapped: []byte{3}, CreatedAt: r.ReceivedAt}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.ids[name] = r.ID
	var ack *time.Time
	if !r.AcknowledgedAt.IsZero() {
		ack = &r.AcknowledgedAt
	}
	if err := f.db.SetDeadlines(ctx, tenant, r.ID, p.AckDue(r.ReceivedAt), p.FeedbackDue(r.ReceivedAt, ack)); err != nil {
		t.Fatal(err)
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// failingMailer fails while fail is set, and otherwise passes on.
type failingMailer struct {
	next Mailer
	fail bool
}

func (m *failingMailer) Send(ctx context.Context, to []string, subject, body string) error {
	if m.fail {
		return errors.New("mail server down")
	}
	return m.next.Send(ctx, to, subject, body)
}

func TestCW2CW3RemindersOverRealSMTP(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cph, err := deadline.LoadLocation("Europe/Copenhagen")
		if err != nil {
			t.Fatal(err)
		}
		policy := deadline.Policy{Location: cph}
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // Monday 10:00 in Copenhagen
		f := seed(t, db, t0)
		f.addCase(t, "new", policy, store.Report{ReceivedAt: t0}, "u1", "u2")
		ackedAt := t0.Add(-19 * 24 * time.Hour)
		f.addCase(t, "acked", policy, store.Report{ReceivedAt: t0.Add(-20 * 24 * time.Hour), AcknowledgedAt: ackedAt}, "u2")
		f.addCase(t, "closed", policy, store.Report{ReceivedAt: t0, ClosedAt: t0.Add(time.Hour)}, "u1")

		srv := newSMTPServer(t, nil)
		mailer := &failingMailer{next: newMailer(t, srv, SMTPConfig{From: "Varsel <noreply@acme.test>"})}
		clk := &clock{now: t0.Add(24 * time.Hour)}
		job := &Reminders{DB: db, Mailer: mailer, Now: clk.Now, StaffURL: staffURL, Location: cph,
			Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}

		run := func(wantSent int) []smtpMessage {
			t.Helper()
			before := len(srv.messages())
			res, err := job.Run(ctx, tenant)
			if err != nil {
				t.Fatalf("run at %v: %v", clk.Now(), err)
			}
			if res.Busy || res.Sent != wantSent {
				t.Fatalf("run at %v: %+v, want %d sent", clk.Now(), res, wantSent)
			}
			got := srv.messages()[before:]
			if len(got) != wantSent {
				t.Fatalf("run at %v: %d e-mails arrived, want %d", clk.Now(), len(got), wantSent)
			}
			return got
		}
		check := func(msgs []smtpMessage, name, subject, sentence string, to ...string) {
			t.Helper()
			link := "https://staff.varsel.test/cases/" + f.ids[name]
			var rcpts []string
			for _, m := range msgs {
				if len(m.To) != 1 {
					t.Fatalf("one e-mail per handler, got recipients %v", m.To)
				}
				rcpts = append(rcpts, m.To[0])
				p := parseMail(t, m.Data)
				if p.Subject != subject {
					t.Errorf("subject %q, want %q", p.Subject, subject)
				}
				for _, want := range []string{fmt.Sprintf("Case %d needs your attention.", f.nums[name]), sentence, link} {
					if !strings.Contains(p.Body, want) {
						t.Errorf("body lacks %q:\n%s", want, p.Body)
					}
				}
				for _, secret := range []string{sealedMarker, identityMarker, "Acme A/S", "answers"} {
					if strings.Contains(m.Data, secret) || strings.Contains(p.Body, secret) {
						t.Errorf("e-mail leaks %q:\n%s", secret, m.Data)
					}
				}
				if ct := p.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type %q (attachments?)", ct)
				}
			}
			if strings.Join(rcpts, ",") != strings.Join(to, ",") {
				t.Errorf("recipients %v, want %v", rcpts, to)
			}
		}

		// Day 1: nothing due yet.
		run(0)

		// Acknowledgement due 9 March 10:00 CET; 47 hours before, it is due soon.
		clk.Set(time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC))
		msgs := run(2)
		check(msgs, "new", fmt.Sprintf("Case %d: acknowledgement due soon", f.nums["new"]),
			"The acknowledgement of receipt to the whistleblower is due on Monday 9 March 2026 at 10:00 CET.",
			"first@acme.test", "second@acme.test")
		run(0) // rerun: nothing twice

		// At the deadline: overdue, once.
		clk.Set(time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC))
		msgs = run(2)
		check(msgs, "new", fmt.Sprintf("Case %d: acknowledgement overdue", f.nums["new"]),
			"was due on Monday 9 March 2026 at 10:00 CET", "first@acme.test", "second@acme.test")
		run(0)

		// The acknowledged case's feedback: 11 February 10:00 CET + 3 months
		// = 11 May 10:00 CEST. Six days before, it is due soon; a failing
		// mail server leaves it to be retried.
		fbDue := deadline.Policy{Location: cph}.FeedbackDue(time.Time{}, &ackedAt)
		if want := time.Date(2026, 5, 11, 10, 0, 0, 0, cph); !fbDue.Equal(want) {
			t.Fatalf("feedback due %v, want %v", fbDue, want)
		}
		clk.Set(fbDue.Add(-6 * 24 * time.Hour))
		mailer.fail = true
		res, err := job.Run(ctx, tenant)
		if err == nil || res.Sent != 0 || res.Failed != 1 {
			t.Fatalf("failing mailer: %+v %v", res, err)
		}
		mailer.fail = false
		msgs = run(1)
		check(msgs, "acked", fmt.Sprintf("Case %d: feedback due soon", f.nums["acked"]),
			"Feedback to the whistleblower is due on Monday 11 May 2026 at 10:00 CEST.", "second@acme.test")
		run(0)

		// Another node holding the lease: this one does nothing.
		clk.Set(fbDue)
		if ok, err := db.AcquireLease(ctx, tenant, LeaseJob, "other-node", clk.Now(), time.Minute); err != nil || !ok {
			t.Fatalf("other node lease: %v %v", ok, err)
		}
		if res, err := job.Run(ctx, tenant); err != nil || !res.Busy || res.Sent != 0 {
			t.Fatalf("while leased elsewhere: %+v %v", res, err)
		}
		// Once that lease has expired, the overdue feedback goes out once.
		clk.Set(fbDue.Add(2 * time.Minute))
		msgs = run(1)
		check(msgs, "acked", fmt.Sprintf("Case %d: feedback overdue", f.nums["acked"]),
			"was due on Monday 11 May 2026 at 10:00 CEST", "second@acme.test")
		run(0)

		// The new case's feedback (no acknowledgement: 9 March + 3 months
		// = 9 June) is due soon and then overdue; the closed case never
		// produced anything.
		clk.Set(time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
		msgs = run(2)
		check(msgs, "new", fmt.Sprintf("Case %d: feedback due soon", f.nums["new"]),
			"due on Tuesday 9 June 2026 at 10:00 CEST", "first@acme.test", "second@acme.test")
		clk.Set(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		run(2)
		run(0)
		for _, m := range srv.messages() {
			if strings.Contains(m.Data, f.ids["closed"]) {
				t.Fatal("reminder about a closed case")
			}
		}
	})
}

func TestRemindersSkipDeadlineWithinWarningOnlyOnce(t *testing.T) {
	// A job that first runs after the deadline sends only the overdue
	// reminder, not a late "due soon" as well.
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 24, 12, 0, 0, 0, time.UTC)
		f := seed(t, db, t0)
		f.addCase(t, "late", deadline.Policy{}, store.Report{ReceivedAt: t0}, "u1")
		srv := newSMTPServer(t, nil)
		job := &Reminders{DB: db, Mailer: newMailer(t, srv, SMTPConfig{}), StaffURL: staffURL,
			Now: func() time.Time { return t0.Add(30 * 24 * time.Hour) }}
		res, err := job.Run(ctx, tenant)
		if err != nil || res.Sent != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		p := parseMail(t, srv.messages()[0].Data)
		if want := fmt.Sprintf("Case %d: acknowledgement overdue", f.nums["late"]); p.Subject != want {
			t.Fatalf("subject %q", p.Subject)
		}
	})
}

func TestReminderTextCoversEveryKind(t *testing.T) {
	due := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	for _, kind := range []string{KindAckDueSoon, KindAckOverdue, KindFeedbackDueSoon, KindFeedbackOverdue} {
		subject, body, err := reminderMessage(kind, 42, "abc", due, nil, "https://x.test/")
		if err != nil || !strings.Contains(subject, "Case 42") || !strings.Contains(body, "https://x.test/cases/abc") ||
			strings.ContainsAny(subject, "\r\n") {
			t.Fatalf("%s: %q %q %v", kind, subject, body, err)
		}
	}
	if _, _, err := reminderMessage("nope", 1, "a", due, nil, ""); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
