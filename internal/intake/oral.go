package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Oral reports (issue 3; Directive art. 9(2)): a handler of the channel
// records a report made by phone or in a meeting. The report is created
// exactly like a submission (same keys, wraps and deadlines) and its
// receipt is handed to the whistleblower, who can then check, correct and
// approve the transcript or minutes (JR-3). Whether the whistleblower
// consented to a recording is recorded with the case (JR-2).

// Oral report sources.
const (
	OralPhone   = "phone"
	OralMeeting = "meeting"
)

// EntryOralReport is the journal kind of the entry that records how an
// oral report was made.
const EntryOralReport = "oral_report"

var (
	// ErrNotChannelHandler refuses an oral report from someone who does
	// not handle the channel.
	ErrNotChannelHandler = errors.New("only a handler of the channel may record an oral report on it")
	// ErrInvalidOralSource rejects a source other than phone or meeting.
	ErrInvalidOralSource = errors.New(`source must be "phone" or "meeting"`)
	// ErrInvalidOralDate rejects a call or meeting dated after today.
	ErrInvalidOralDate = errors.New("the call or meeting cannot be dated in the future")
)

// OralReport is what a handler records.
type OralReport struct {
	StaffID          string // the handler recording it
	Channel          string
	Answers          questionnaire.Answers
	Source           string // OralPhone or OralMeeting
	ConsentRecording bool
	// HeldOn is the day of the call or meeting, which can precede the
	// day it is recorded; zero means today. A later day is refused.
	HeldOn time.Time
	// FormToken is the staff form's token (see NewFormToken), or "": the
	// form posted again stores no second report (ErrAlreadySubmitted).
	FormToken string
}

// OralReceipt is the receipt to hand to the whistleblower (shown once)
// and the new case's id.
type OralReceipt struct {
	Receipt
	ReportID string
}

// journalSource maps an oral source to the journal's source vocabulary.
func journalSource(src string) string {
	if src == OralPhone {
		return "phone_call"
	}
	return "meeting"
}

// oralJournalBody matches the JSON the cases package seals in journal
// entries (internal/cases journalBody).
type oralJournalBody struct {
	Source    string `json:"source,omitempty"`
	LearnedOn string `json:"learned_on,omitempty"`
	Action    string `json:"action,omitempty"`
}

// SubmitOral commits a report recorded by a handler of the channel. d is
// a draft from Begin (with no files); it is abandoned on any error.
func (s *Service) SubmitOral(ctx context.Context, d *report.Draft, o OralReport) (OralReceipt, error) {
	rc, err := s.submitOral(ctx, d, o)
	if err != nil {
		s.Abandon(ctx, d)
	}
	return rc, err
}

func (s *Service) submitOral(ctx context.Context, d *report.Draft, o OralReport) (OralReceipt, error) {
	if o.Source != OralPhone && o.Source != OralMeeting {
		return OralReceipt{}, ErrInvalidOralSource
	}
	ch, err := s.Channel(ctx, o.Channel)
	if err != nil {
		return OralReceipt{}, err
	}
	recipients, err := s.cfg.DB.ChannelRecipients(ctx, s.cfg.Tenant, ch.ID)
	if err != nil {
		return OralReceipt{}, err
	}
	if !slices.ContainsFunc(recipients, func(r store.Recipient) bool { return r.UserID == o.StaffID }) {
		return OralReceipt{}, ErrNotChannelHandler
	}
	if d.Keys.Case == nil {
		return OralReceipt{}, fmt.Errorf("intake: draft without a case key")
	}
	now := s.cfg.Now()
	heldOn := now
	if !o.HeldOn.IsZero() {
		// A day ahead of UTC is the latest "today" in any time zone; the
		// web form checks the organisation's own day.
		if o.HeldOn.After(now.Add(24 * time.Hour)) {
			return OralReceipt{}, ErrInvalidOralDate
		}
		heldOn = o.HeldOn
	}
	action := "recording_not_consented"
	if o.ConsentRecording {
		action = "recording_consented"
	}
	raw, err := json.Marshal(oralJournalBody{Source: journalSource(o.Source), LearnedOn: heldOn.Format(time.DateOnly), Action: action})
	if err != nil {
		return OralReceipt{}, err
	}
	entryID := store.NewID()
	entry := store.JournalEntry{TenantID: s.cfg.Tenant, ReportID: d.ID, ID: entryID, Kind: EntryOralReport,
		AuthorType: store.AuthorStaff, AuthorID: o.StaffID, CreatedAt: now,
		Body: keys.Seal(*d.Keys.Case, raw, report.ADJournal(s.cfg.Tenant, d.ID, entryID))}
	log := audit.New(s.cfg.DB, s.cfg.Now)
	rc, err := s.submit(ctx, d, o.Channel, o.Answers, nil, s.markForms(ctx, func(tx *store.Tx) error {
		if err := tx.InsertOralReport(ctx, store.OralReport{TenantID: s.cfg.Tenant, ReportID: d.ID, Source: o.Source,
			ConsentRecording: o.ConsentRecording, CreatedBy: o.StaffID, CreatedAt: now}); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := log.RecordTx(ctx, tx, audit.Entry{TenantID: s.cfg.Tenant, ActorType: audit.ActorStaff, ActorID: o.StaffID,
			Action: audit.ActionCaseJournal, ObjectType: audit.ObjectCase, ObjectID: d.ID, Detail: "oral_report." + o.Source})
		return err
	}, o.FormToken))
	if err != nil {
		return OralReceipt{}, err
	}
	return OralReceipt{Receipt: rc, ReportID: d.ID}, nil
}

// Transcripts lists the versions of the case's transcripts and minutes
// that were shown to the whistleblower (drafts stay with the handlers).
func (s *Service) Transcripts(ctx context.Context, wb *Whistleblower) ([]report.TranscriptView, error) {
	all, err := report.OpenTranscripts(ctx, s.cfg.DB, wb.Keys.Report, wb.Report.TenantID, wb.Report.ID)
	if err != nil {
		return nil, err
	}
	out := make([]report.TranscriptView, 0, len(all))
	for _, t := range all {
		if t.State != store.TranscriptDraft {
			out = append(out, t)
		}
	}
	return out, nil
}

// visibleTranscript refuses ids of drafts and of other reports alike.
func (s *Service) visibleTranscript(ctx context.Context, wb *Whistleblower, id string) error {
	rows, err := s.cfg.DB.Transcripts(ctx, wb.Report.TenantID, wb.Report.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(rows, func(t store.Transcript) bool { return t.ID == id && t.State != store.TranscriptDraft }) {
		return report.ErrTranscriptNotFound
	}
	return nil
}

func (s *Service) wbStep(ctx context.Context, wb *Whistleblower, detail string) report.TranscriptStep {
	log := audit.New(s.cfg.DB, s.cfg.Now)
	return report.TranscriptStep{Tenant: wb.Report.TenantID, ReportID: wb.Report.ID, AuthorType: store.AuthorWhistleblower,
		Now: s.cfg.Now(), InTx: func(tx *store.Tx, _ store.Transcript) error {
			_, err := log.RecordTx(ctx, tx, audit.Entry{TenantID: wb.Report.TenantID, ActorType: audit.ActorSystem,
				ActorID: "whistleblower", Action: audit.ActionCaseJournal, ObjectType: audit.ObjectCase,
				ObjectID: wb.Report.ID, Detail: detail})
			return err
		}}
}

// CorrectTranscript proposes a corrected text: a new version of a sent
// (or already corrected) transcript that is not approved.
func (s *Service) CorrectTranscript(ctx context.Context, wb *Whistleblower, id, text string) (report.TranscriptView, error) {
	if err := s.visibleTranscript(ctx, wb, id); err != nil {
		return report.TranscriptView{}, err
	}
	return report.NewTranscriptVersion(ctx, s.cfg.DB, wb.Keys.Report, s.wbStep(ctx, wb, "transcript.correct"), id, text,
		store.TranscriptCorrected, []string{store.TranscriptSent, store.TranscriptCorrected})
}

// ApproveTranscript signs the latest sent or corrected version; the
// document is then fixed.
func (s *Service) ApproveTranscript(ctx context.Context, wb *Whistleblower, id string) (report.TranscriptView, error) {
	if err := s.visibleTranscript(ctx, wb, id); err != nil {
		return report.TranscriptView{}, err
	}
	return report.AdvanceTranscript(ctx, s.cfg.DB, wb.Keys.Report, s.wbStep(ctx, wb, "transcript.approve"), id,
		[]string{store.TranscriptSent, store.TranscriptCorrected}, store.TranscriptApproved)
}
