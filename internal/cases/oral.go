package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Transcripts, minutes and recordings of oral reports (issue 3; JR-2,
// JR-3). Handlers write versions and send them to the whistleblower, who
// corrects or approves them through the receipt (internal/intake). Every
// step shows in the journal (merged from the transcript rows, as the
// whistleblower holds no case key) and the handlers' steps are audited.

// Journal kinds.
const (
	EntryTranscript = "transcript"
	EntryRecording  = "recording"
)

// ErrConsentRequired refuses a recording on a case without recorded
// consent to recording (JR-2).
var ErrConsentRequired = errors.New("a recording may be attached only when the whistleblower's consent to recording is recorded")

// Transcripts lists every version of the case's transcripts and minutes.
func (s *Service) Transcripts(ctx context.Context, st *accounts.Staff, reportID string) ([]report.TranscriptView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	out, err := report.OpenTranscripts(ctx, s.cfg.DB, c.Keys.Report, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "transcripts")); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) transcriptStep(ctx context.Context, st *accounts.Staff, reportID, detail string) report.TranscriptStep {
	return report.TranscriptStep{Tenant: st.TenantID, ReportID: reportID, AuthorType: store.AuthorStaff, AuthorID: st.UserID,
		Now: s.cfg.Now(), InTx: func(tx *store.Tx, _ store.Transcript) error {
			_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseJournal, audit.ObjectCase, reportID, detail))
			return err
		}}
}

// CreateTranscript writes a draft version: a new document, or with
// supersedes the next version of a document that is not approved.
func (s *Service) CreateTranscript(ctx context.Context, st *accounts.Staff, reportID, text, supersedes string) (report.TranscriptView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return report.TranscriptView{}, err
	}
	return report.NewTranscriptVersion(ctx, s.cfg.DB, c.Keys.Report, s.transcriptStep(ctx, st, reportID, "transcript.create"),
		supersedes, text, store.TranscriptDraft, nil)
}

// SendTranscript shows a draft version to the whistleblower.
func (s *Service) SendTranscript(ctx context.Context, st *accounts.Staff, reportID, id string) (report.TranscriptView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return report.TranscriptView{}, err
	}
	return report.AdvanceTranscript(ctx, s.cfg.DB, c.Keys.Report, s.transcriptStep(ctx, st, reportID, "transcript.send"), id,
		[]string{store.TranscriptDraft}, store.TranscriptSent)
}

// transcriptJournal turns the transcript rows into journal entries: each
// version's creation, sending and approval.
func (s *Service) transcriptJournal(ctx context.Context, c *Case) ([]JournalView, error) {
	rows, err := s.cfg.DB.Transcripts(ctx, c.Report.TenantID, c.Report.ID)
	if err != nil {
		return nil, err
	}
	var out []JournalView
	for _, t := range rows {
		text := fmt.Sprintf("version %d", t.Version)
		created := "created"
		if t.AuthorType == store.AuthorWhistleblower {
			created = "corrected"
		}
		out = append(out, JournalView{ID: t.ID, Kind: EntryTranscript, AuthorType: t.AuthorType, AuthorID: t.AuthorID,
			Supersedes: t.Supersedes, CreatedAt: t.CreatedAt, Action: created, Text: text})
		if !t.SentAt.IsZero() && t.AuthorType == store.AuthorStaff {
			out = append(out, JournalView{ID: t.ID, Kind: EntryTranscript, AuthorType: store.AuthorStaff, CreatedAt: t.SentAt,
				Action: "sent", Text: text})
		}
		if !t.ApprovedAt.IsZero() {
			out = append(out, JournalView{ID: t.ID, Kind: EntryTranscript, AuthorType: store.AuthorWhistleblower,
				CreatedAt: t.ApprovedAt, Action: "approved", Text: text})
		}
	}
	return out, nil
}

// ConsentRecording tells whether the case records the whistleblower's
// consent to a recording. Only a case created from an oral report can.
func (s *Service) consentRecording(ctx context.Context, st *accounts.Staff, reportID string) (store.OralReport, error) {
	o, err := s.cfg.DB.OralReportOf(ctx, st.TenantID, reportID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !o.ConsentRecording {
		return store.OralReport{}, ErrConsentRequired
	}
	return o, err
}

// Recording is an upload of a recording under way: the case is open and
// consent is checked before a byte of the file is read.
type Recording struct {
	s     *Service
	st    *accounts.Staff
	c     *Case
	oral  store.OralReport
	files []report.PendingFile
}

// BeginRecording opens the case and checks the consent (JR-2).
func (s *Service) BeginRecording(ctx context.Context, st *accounts.Staff, reportID string) (*Recording, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	o, err := s.consentRecording(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	return &Recording{s: s, st: st, c: c, oral: o}, nil
}

// Store streams one file of the recording, encrypted.
func (r *Recording) Store(ctx context.Context, name, contentType string, body io.Reader) error {
	f, err := report.StoreFileForReport(ctx, r.s.cfg.Blobs, r.c.Report, r.c.Keys.Report, name, contentType, body,
		r.s.maxFileSize(), store.AuthorStaff, r.st.UserID, r.s.cfg.Now())
	if err != nil {
		return err
	}
	r.files = append(r.files, f)
	return nil
}

// Files counts the stored files.
func (r *Recording) Files() int { return len(r.files) }

// Discard removes the stored files.
func (r *Recording) Discard(ctx context.Context) {
	report.DiscardFiles(ctx, r.s.cfg.Blobs, r.files)
	r.files = nil
}

// Commit attaches the files to the case, with a journal entry naming them
// as a recording and an audit entry, in one transaction. It returns the
// file ids; on error the files are removed.
func (r *Recording) Commit(ctx context.Context) ([]string, error) {
	s, c := r.s, r.c
	if c.Keys.Case == nil {
		r.Discard(ctx)
		return nil, ErrNoCaseKey
	}
	now := s.cfg.Now()
	var ids []string
	for _, f := range r.files {
		ids = append(ids, f.Row.ID)
	}
	source := "meeting"
	if r.oral.Source == "phone" {
		source = "phone_call"
	}
	raw, err := json.Marshal(journalBody{Source: source, Action: "recording", FileIDs: ids})
	if err != nil {
		r.Discard(ctx)
		return nil, err
	}
	entry := store.JournalEntry{TenantID: r.st.TenantID, ReportID: c.Report.ID, ID: store.NewID(), Kind: EntryRecording,
		AuthorType: store.AuthorStaff, AuthorID: r.st.UserID, CreatedAt: now}
	entry.Body = keys.Seal(*c.Keys.Case, raw, report.ADJournal(entry.TenantID, entry.ReportID, entry.ID))
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		for i, f := range r.files {
			f.Row.Seq = i
			if err := tx.InsertFile(ctx, f.Row); err != nil {
				return err
			}
		}
		if err := tx.TouchReport(ctx, r.st.TenantID, c.Report.ID, now); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(r.st, audit.ActionCaseJournal, audit.ObjectCase, c.Report.ID, "recording"))
		return err
	})
	if err != nil {
		r.Discard(ctx)
		return nil, err
	}
	r.files = nil
	return ids, nil
}

// maxFileSize is the configured upload limit (1 GiB unless set).
func (s *Service) maxFileSize() int64 {
	if s.cfg.MaxFileSize > 0 {
		return s.cfg.MaxFileSize
	}
	return 1 << 30
}
