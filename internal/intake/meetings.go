package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Meeting requests from the whistleblower (RC-2, Directive 2019/1937 art.
// 9(2)). The request creates a task on the case, due within the channel's
// period; its optional text (preferred times, how to reach them) is
// sealed under the report key. The audit entry names no one: the actor is
// "whistleblower", as for the identity consent.

var (
	// ErrMeetingPending refuses a second request while one is open.
	ErrMeetingPending = errors.New("a meeting request is already open on this report")
	// ErrReportClosed refuses a request on a closed case.
	ErrReportClosed = errors.New("the case is closed")
)

// RequestMeeting records a whistleblower's request for a meeting. The
// text is optional.
func (s *Service) RequestMeeting(ctx context.Context, wb *Whistleblower, text string) (report.TaskView, error) {
	if text = strings.TrimSpace(text); text != "" {
		var err error
		if text, err = report.CheckText(text); err != nil {
			return report.TaskView{}, err
		}
	}
	r := wb.Report
	if !r.ClosedAt.IsZero() {
		return report.TaskView{}, ErrReportClosed
	}
	now := s.cfg.Now()
	due, err := report.MeetingDue(ctx, s.cfg.DB, r, now)
	if err != nil {
		return report.TaskView{}, err
	}
	t := store.Task{TenantID: r.TenantID, ID: store.NewID(), ReportID: r.ID, Kind: store.TaskMeeting, RequestedAt: now, DueAt: due}
	t.Request = report.SealTaskText(wb.Keys.Report, t, report.TaskPartRequest, text)
	log := audit.New(s.cfg.DB, s.cfg.Now)
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		// The session's copy of the report may be older than a close
		// that committed since: check again under the row lock, which a
		// close also takes, so a request cannot land on a closed case.
		c, err := tx.LockRetentionCase(ctx, r.TenantID, r.ID)
		if err != nil {
			return err
		}
		if !c.ClosedAt.IsZero() {
			return ErrReportClosed
		}
		open, err := tx.OpenTaskCount(ctx, r.TenantID, r.ID, store.TaskMeeting)
		if err != nil {
			return err
		}
		if open > 0 {
			return ErrMeetingPending
		}
		if err := tx.InsertTask(ctx, t); err != nil {
			return err
		}
		if err := tx.TouchReport(ctx, r.TenantID, r.ID, now); err != nil {
			return err
		}
		_, err = log.RecordTx(ctx, tx, audit.Entry{TenantID: r.TenantID, ActorType: audit.ActorSystem, ActorID: "whistleblower",
			Action: audit.ActionCaseTask, ObjectType: audit.ObjectCase, ObjectID: r.ID, Detail: "meeting.request"})
		return err
	})
	if err != nil {
		return report.TaskView{}, fmt.Errorf("intake: meeting request: %w", err)
	}
	return report.TaskView{ID: t.ID, Kind: t.Kind, Status: store.TaskOpen, RequestedAt: now, DueAt: due, Request: text}, nil
}

// Tasks lists the report's tasks as the whistleblower sees them.
func (s *Service) Tasks(ctx context.Context, wb *Whistleblower) ([]report.TaskView, error) {
	return report.LoadTasks(ctx, s.cfg.DB, wb.Keys.Report, wb.Report.TenantID, wb.Report.ID)
}
