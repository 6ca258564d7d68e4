package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/store"
)

// Reminders about open tasks on a case (RC-2: a meeting the whistleblower
// asked for). Like the deadline reminders they say only that case N needs
// attention, the kind of task, its due date and a link.
const (
	KindMeetingDueSoon = "meeting_due_soon"
	KindMeetingOverdue = "meeting_overdue"
	// MeetingWarn is how long before a requested meeting is due the "due
	// soon" reminder goes out.
	MeetingWarn = 2 * 24 * time.Hour
)

// runTasks sends the reminders about open meeting requests. A reminder is
// claimed per task (its kind carries the task id), so a second request
// on the same case is reminded about too.
func (r *Reminders) runTasks(ctx context.Context, tenantID string, now time.Time) (sent, failed int, errs []error) {
	tasks, err := r.DB.DueTasks(ctx, tenantID, now.Add(MeetingWarn))
	if err != nil {
		return 0, 0, []error{err}
	}
	for _, t := range tasks {
		if t.Kind != store.TaskMeeting {
			continue
		}
		kind := ""
		switch deadline.Status(t.DueAt, now, MeetingWarn) {
		case deadline.StatusDueSoon:
			kind = KindMeetingDueSoon
		case deadline.StatusOverdue:
			kind = KindMeetingOverdue
		default:
			continue
		}
		if len(t.Handlers) == 0 {
			r.Logger.Warn("meeting request pending but no enabled handler holds the case's key", "case", t.CaseNumber)
			continue
		}
		c := store.DueCase{ReportID: t.ReportID, CaseNumber: t.CaseNumber}
		for _, h := range t.Handlers {
			ok, err := r.sendClaimed(ctx, tenantID, c, reminder{kind, t.DueAt}, kind+":"+t.TaskID, h, now)
			if err != nil {
				failed++
				errs = append(errs, err)
				r.Logger.Error("reminder e-mail failed; retrying at the next run", "case", t.CaseNumber, "kind", kind, "user", h.UserID, "error", err)
				continue
			}
			if ok {
				sent++
			}
		}
		if ctx.Err() != nil {
			return sent, failed, append(errs, ctx.Err())
		}
	}
	return sent, failed, errs
}

// sendClaimed is send with the claim stored under claim instead of the
// wording's kind.
func (r *Reminders) sendClaimed(ctx context.Context, tenantID string, c store.DueCase, d reminder, claim string, h store.CaseHandler,
	now time.Time) (bool, error) {
	subject, body, err := reminderMessage(d.kind, c.CaseNumber, c.ReportID, d.due, r.Location, r.StaffURL)
	if err != nil {
		return false, err
	}
	claimed, err := r.DB.MarkReminderSent(ctx, tenantID, c.ReportID, claim, h.UserID, now)
	if err != nil || !claimed {
		return false, err
	}
	if err := r.Mailer.Send(ctx, []string{h.Email}, subject, body); err != nil {
		if uerr := r.DB.UnmarkReminderSent(context.WithoutCancel(ctx), tenantID, c.ReportID, claim, h.UserID); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return false, fmt.Errorf("notify: case %d %s: %w", c.CaseNumber, d.kind, err)
	}
	return true, nil
}
