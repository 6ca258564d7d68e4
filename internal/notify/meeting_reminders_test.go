package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// RC-2: a meeting the whistleblower asked for is reminded about like a
// deadline, over a real SMTP conversation: due soon two days before, then
// overdue, each once per handler and request, with nothing but the case
// number, the date and a link; an answered request is not reminded about.
func TestRC2MeetingRemindersOverRealSMTP(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cph, err := deadline.LoadLocation("Europe/Copenhagen")
		if err != nil {
			t.Fatal(err)
		}
		policy := deadline.Policy{Location: cph}
		t0 := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC) // Friday 10:00 CET
		f := seed(t, db, t0)
		// Acknowledged: the statutory deadlines are months away.
		f.addCase(t, "meet", policy, store.Report{ReceivedAt: t0.Add(-2 * 24 * time.Hour), AcknowledgedAt: t0.Add(-24 * time.Hour)}, "u1", "u2")
		due := policy.Extend(t0, 14) // 3 April 10:00 CEST, across the change to summer time
		if want := time.Date(2026, 4, 3, 8, 0, 0, 0, time.UTC); !due.Equal(want) {
			t.Fatalf("due %v, want %v", due, want)
		}
		task := store.Task{TenantID: tenant, ID: store.NewID(), ReportID: f.ids["meet"], Kind: store.TaskMeeting, RequestedAt: t0,
			DueAt: due, Request: []byte(sealedMarker)}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTask(ctx, task) }); err != nil {
			t.Fatal(err)
		}

		srv := newSMTPServer(t, nil)
		clk := &clock{now: t0.Add(time.Hour)}
		job := &Reminders{DB: db, Mailer: newMailer(t, srv, SMTPConfig{From: "Varsel <noreply@acme.test>"}), Now: clk.Now,
			StaffURL: staffURL, Location: cph, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}
		run := func(wantSent int, subject, sentence string) {
			t.Helper()
			before := len(srv.messages())
			res, err := job.Run(ctx, tenant)
			if err != nil || res.Sent != wantSent {
				t.Fatalf("run at %v: %+v %v, want %d sent", clk.Now(), res, err, wantSent)
			}
			msgs := srv.messages()[before:]
			if len(msgs) != wantSent {
				t.Fatalf("run at %v: %d e-mails arrived, want %d", clk.Now(), len(msgs), wantSent)
			}
			for _, m := range msgs {
				p := parseMail(t, m.Data)
				if p.Subject != subject || !strings.Contains(p.Body, sentence) ||
					!strings.Contains(p.Body, "https://staff.varsel.test/cases/"+f.ids["meet"]) {
					t.Errorf("e-mail %q:\n%s", p.Subject, p.Body)
				}
				if strings.Contains(m.Data, sealedMarker) || strings.Contains(m.Data, identityMarker) {
					t.Errorf("e-mail leaks content:\n%s", m.Data)
				}
			}
		}
		n := f.nums["meet"]
		run(0, "", "")
		clk.Set(due.Add(-47 * time.Hour))
		run(2, fmt.Sprintf("Case %d: requested meeting due soon", n), "it is due by Friday 3 April 2026 at 10:00 CEST.")
		run(0, "", "")
		clk.Set(due.Add(time.Minute))
		run(2, fmt.Sprintf("Case %d: requested meeting overdue", n), "was due by Friday 3 April 2026 at 10:00 CEST")
		run(0, "", "")

		// Answered: no reminder, and the case no longer counts as due.
		task.Status, task.ClosedBy, task.ClosedAt = store.TaskDeclined, "u1", clk.Now()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CloseTask(ctx, task) }); err != nil {
			t.Fatal(err)
		}
		// A second request on the same case is reminded about on its own.
		second := store.Task{TenantID: tenant, ID: store.NewID(), ReportID: f.ids["meet"], Kind: store.TaskMeeting,
			RequestedAt: clk.Now(), DueAt: clk.Now().Add(24 * time.Hour)}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertTask(ctx, second) }); err != nil {
			t.Fatal(err)
		}
		run(2, fmt.Sprintf("Case %d: requested meeting due soon", n), "The whistleblower asked for a meeting")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			second.Status, second.ClosedBy, second.ClosedAt = store.TaskDone, "u1", clk.Now()
			return tx.CloseTask(ctx, second)
		}); err != nil {
			t.Fatal(err)
		}
		clk.Set(clk.Now().Add(48 * time.Hour))
		run(0, "", "")
	})
}
