package cases

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Meetings the whistleblower asked for (RC-2). The request is a task on
// the case; a handler closes it as held (with a note and, if written, the
// minutes of the meeting) or declined with a reason. The answer is sealed
// under the report key so the whistleblower reads it on the status page;
// the step goes in the journal (under the case key) and the audit log
// (the step word only). The request itself is audited when made: the
// whistleblower holds no case key and cannot write the journal.

// EntryMeeting is the journal kind of a closed meeting request.
const EntryMeeting = "meeting"

var (
	// ErrInvalidMeetingClose rejects a close without an outcome, a
	// decline without a reason, or minutes that are not the case's.
	ErrInvalidMeetingClose = errors.New("closing a meeting request needs the outcome held or declined, a reason when declined, " +
		"at most 20,000 characters, and minutes (if named) that belong to the case")
	// ErrTaskNotFound: no such task on the case.
	ErrTaskNotFound = errors.New("task not found")
	// ErrTaskClosed: the task was closed already.
	ErrTaskClosed = errors.New("the task is already closed")
)

// Meeting outcomes.
const (
	MeetingHeld     = "held"
	MeetingDeclined = "declined"
)

// MeetingClose is a handler's answer to a meeting request.
type MeetingClose struct {
	Outcome   string // MeetingHeld or MeetingDeclined
	Text      string // the reason of a refusal (required), or a note on the meeting; the whistleblower reads it
	MinutesID string // a transcript document of the case: the minutes of the meeting
}

// Tasks lists the case's tasks for a user who may open the case.
func (s *Service) Tasks(ctx context.Context, st *accounts.Staff, reportID string) ([]report.TaskView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	return report.LoadTasks(ctx, s.cfg.DB, c.Keys.Report, st.TenantID, reportID)
}

// CloseMeeting answers a meeting request.
func (s *Service) CloseMeeting(ctx context.Context, st *accounts.Staff, reportID, taskID string, in MeetingClose) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	t, err := s.cfg.DB.Task(ctx, st.TenantID, reportID, taskID)
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Kind != store.TaskMeeting {
		return ErrTaskNotFound
	}
	if err != nil {
		return err
	}
	if t.Status != store.TaskOpen {
		return ErrTaskClosed
	}
	text := strings.TrimSpace(in.Text)
	if text != "" {
		if text, err = report.CheckText(text); err != nil {
			return ErrInvalidMeetingClose
		}
	}
	status, step := store.TaskDone, "meeting.done"
	switch in.Outcome {
	case MeetingHeld:
	case MeetingDeclined:
		status, step = store.TaskDeclined, "meeting.decline"
		if text == "" || in.MinutesID != "" {
			return ErrInvalidMeetingClose
		}
	default:
		return ErrInvalidMeetingClose
	}
	if in.MinutesID != "" {
		if ok, err := s.hasTranscript(ctx, st.TenantID, reportID, in.MinutesID); err != nil {
			return err
		} else if !ok {
			return ErrInvalidMeetingClose
		}
	}
	now := s.cfg.Now()
	t.Status, t.OralReportID, t.ClosedBy, t.ClosedAt = status, in.MinutesID, st.UserID, now
	t.Answer = report.SealTaskText(c.Keys.Report, t, report.TaskPartAnswer, text)
	body := journalBody{Action: "meeting_" + in.Outcome, RequestID: t.ID, Date: t.RequestedAt.Format(time.DateOnly)}
	if status == store.TaskDeclined {
		body.Reason = text
	} else {
		body.Text = text
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryMeeting, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now}, body)
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CloseTask(ctx, t); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		if err := tx.TouchReport(ctx, st.TenantID, reportID, now); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseTask, audit.ObjectCase, reportID, step))
		return err
	})
	if errors.Is(err, store.ErrStateChanged) {
		return ErrTaskClosed
	}
	return err
}

func (s *Service) hasTranscript(ctx context.Context, tenantID, reportID, docID string) (bool, error) {
	ts, err := s.cfg.DB.Transcripts(ctx, tenantID, reportID)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.DocID == docID {
			return true, nil
		}
	}
	return false, nil
}

// MeetingPeriods returns the organisation's meeting periods (any staff).
func (s *Service) MeetingPeriods(ctx context.Context, st *accounts.Staff) (report.MeetingPeriods, error) {
	return report.LoadMeetingPeriods(ctx, s.cfg.DB, st.TenantID)
}

// SetMeetingPeriods replaces the meeting periods (admins only). Channels
// must exist. Open requests keep the due time they were given.
func (s *Service) SetMeetingPeriods(ctx context.Context, st *accounts.Staff, m report.MeetingPeriods) (report.MeetingPeriods, error) {
	if st.Role != accounts.RoleAdmin {
		return report.MeetingPeriods{}, ErrSettingsForbidden
	}
	if err := m.Check(); err != nil {
		return report.MeetingPeriods{}, err
	}
	for id := range m.Channels {
		if _, err := s.cfg.DB.Channel(ctx, st.TenantID, id); errors.Is(err, store.ErrNotFound) {
			return report.MeetingPeriods{}, ErrInvalidChannels
		} else if err != nil {
			return report.MeetingPeriods{}, err
		}
	}
	return m, s.putSetting(ctx, st, report.SettingMeetings, m)
}
