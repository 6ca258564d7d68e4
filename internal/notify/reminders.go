package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/store"
)

// Reminder kinds, as stored in reminders_sent. Each handler gets at most one
// e-mail per case and kind.
const (
	KindAckDueSoon      = "ack_due_soon"
	KindAckOverdue      = "ack_overdue"
	KindFeedbackDueSoon = "feedback_due_soon"
	KindFeedbackOverdue = "feedback_overdue"
)

// Defaults of Reminders.
const (
	DefaultAckWarn      = 2 * 24 * time.Hour
	DefaultFeedbackWarn = 7 * 24 * time.Hour
	DefaultLeaseTTL     = 10 * time.Minute
	// LeaseJob is the job_leases name of the reminder job.
	LeaseJob = "reminders"
)

// Reminders is the job that e-mails handlers about cases whose
// acknowledgement (CW-2) or feedback (CW-3, CW-4) is due soon or overdue.
// Several nodes may run it: a lease lets one work at a time, and each
// e-mail is claimed in reminders_sent before it is sent, so none goes out
// twice.
type Reminders struct {
	DB       *store.DB
	Mailer   Mailer
	Now      func() time.Time // default time.Now
	StaffURL string           // links point to StaffURL + "/cases/<id>"
	// AckWarn and FeedbackWarn are how long before a deadline the "due
	// soon" reminder goes out; defaults 2 days and 7 days.
	AckWarn, FeedbackWarn time.Duration
	Location              *time.Location // time zone of the dates in the e-mails; default UTC
	Holder                string         // lease holder; default a random id per Reminders
	LeaseTTL              time.Duration  // default DefaultLeaseTTL; renewed per case
	Logger                *slog.Logger   // default slog.Default()

	once sync.Once
}

// RunResult says what one run did.
type RunResult struct {
	Busy   bool // another holder had the lease; nothing was done
	Sent   int  // e-mails sent
	Failed int  // e-mails that failed; they are retried at the next run
}

func (r *Reminders) init() {
	r.once.Do(func() {
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.AckWarn <= 0 {
			r.AckWarn = DefaultAckWarn
		}
		if r.FeedbackWarn <= 0 {
			r.FeedbackWarn = DefaultFeedbackWarn
		}
		if r.Location == nil {
			r.Location = time.UTC
		}
		if r.Holder == "" {
			r.Holder = store.NewID()
		}
		if r.LeaseTTL <= 0 {
			r.LeaseTTL = DefaultLeaseTTL
		}
		if r.Logger == nil {
			r.Logger = slog.Default()
		}
	})
}

type reminder struct {
	kind string
	due  time.Time
}

// due lists the reminders a case calls for now: for each pending deadline
// at most one, overdue taking the place of due soon.
func (r *Reminders) due(c store.DueCase, now time.Time) []reminder {
	var out []reminder
	check := func(due time.Time, warn time.Duration, soon, overdue string) {
		switch deadline.Status(due, now, warn) {
		case deadline.StatusDueSoon:
			out = append(out, reminder{soon, due})
		case deadline.StatusOverdue:
			out = append(out, reminder{overdue, due})
		}
	}
	if c.AcknowledgedAt.IsZero() && !c.AckDueAt.IsZero() {
		check(c.AckDueAt, r.AckWarn, KindAckDueSoon, KindAckOverdue)
	}
	if c.FeedbackGivenAt.IsZero() && !c.FeedbackDueAt.IsZero() {
		check(c.FeedbackDueAt, r.FeedbackWarn, KindFeedbackDueSoon, KindFeedbackOverdue)
	}
	return out
}

// Run sends the reminders that are due for one tenant. It returns with
// Busy set when another node holds the lease. Failed e-mails are left
// unclaimed for the next run and reported in the error.
func (r *Reminders) Run(ctx context.Context, tenantID string) (RunResult, error) {
	r.init()
	var res RunResult
	now := r.Now()
	ok, err := r.DB.AcquireLease(ctx, tenantID, LeaseJob, r.Holder, now, r.LeaseTTL)
	if err != nil {
		return res, err
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer func() {
		if err := r.DB.ReleaseLease(context.WithoutCancel(ctx), tenantID, LeaseJob, r.Holder); err != nil {
			r.Logger.Warn("releasing the reminder lease failed; it expires by itself", "error", err)
		}
	}()

	cases, err := r.DB.DueCases(ctx, tenantID, now.Add(max(r.AckWarn, r.FeedbackWarn)))
	if err != nil {
		return res, err
	}
	var errs []error
	for i, c := range cases {
		if i > 0 {
			// A long run keeps its lease, or stops if it lost it.
			if ok, err := r.DB.AcquireLease(ctx, tenantID, LeaseJob, r.Holder, r.Now(), r.LeaseTTL); err != nil || !ok {
				return res, errors.Join(append(errs, err, fmt.Errorf("notify: reminder lease lost"))...)
			}
		}
		due := r.due(c, now)
		if len(due) > 0 && len(c.Handlers) == 0 {
			r.Logger.Warn("case deadline pending but no enabled handler holds its key", "case", c.CaseNumber)
			continue
		}
		for _, d := range due {
			for _, h := range c.Handlers {
				sent, err := r.send(ctx, tenantID, c, d, h, now)
				if err != nil {
					res.Failed++
					errs = append(errs, err)
					r.Logger.Error("reminder e-mail failed; retrying at the next run",
						"case", c.CaseNumber, "kind", d.kind, "user", h.UserID, "error", err)
					continue
				}
				if sent {
					res.Sent++
				}
			}
		}
		if ctx.Err() != nil {
			return res, errors.Join(append(errs, ctx.Err())...)
		}
	}
	// Meetings the whistleblower asked for (RC-2, tasks.go).
	sent, failed, terrs := r.runTasks(ctx, tenantID, now)
	res.Sent, res.Failed = res.Sent+sent, res.Failed+failed
	return res, errors.Join(append(errs, terrs...)...)
}

// send claims and sends one reminder; a failed e-mail gives up its claim.
func (r *Reminders) send(ctx context.Context, tenantID string, c store.DueCase, d reminder, h store.CaseHandler, now time.Time) (bool, error) {
	subject, body, err := reminderMessage(d.kind, c.CaseNumber, c.ReportID, d.due, r.Location, r.StaffURL)
	if err != nil {
		return false, err
	}
	claimed, err := r.DB.MarkReminderSent(ctx, tenantID, c.ReportID, d.kind, h.UserID, now)
	if err != nil || !claimed {
		return false, err
	}
	if err := r.Mailer.Send(ctx, []string{h.Email}, subject, body); err != nil {
		if uerr := r.DB.UnmarkReminderSent(context.WithoutCancel(ctx), tenantID, c.ReportID, d.kind, h.UserID); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return false, fmt.Errorf("notify: case %d %s: %w", c.CaseNumber, d.kind, err)
	}
	return true, nil
}

// Loop runs the job at once and then every interval until ctx ends,
// logging what it did. Start it once per node: the lease keeps the nodes
// from working at the same time.
func (r *Reminders) Loop(ctx context.Context, tenantID string, every time.Duration) {
	r.init()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := r.Run(ctx, tenantID)
		switch {
		case err != nil && ctx.Err() == nil:
			r.Logger.Error("reminder run failed", "sent", res.Sent, "failed", res.Failed, "error", err)
		case res.Sent > 0:
			r.Logger.Info("sent deadline reminders", "count", res.Sent)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
