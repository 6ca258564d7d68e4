package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Disclosure notes (DA-1; Directive art. 16; DK § 26): information leaves
// a case for another authority only as a separate note. The handler picks
// the answers (by question id), messages and files the recipient needs and
// may add free text; the original report is never exported this way. The
// note is sealed under the case key (recipient, legal basis, date, text
// and a copy of the selected answers and messages); files are referenced
// by id, not copied; the identity answers are referenced too, never copied
// under the case key (which handlers without identity access hold), and
// appear in the note's PDF only once the note is final and for a reader
// who holds the identity key. Creating and finalising a note are journaled
// (kind "disclosure", ids only) and audited (case.disclose).
//
// Identity (CA-3, art. 16(2)-(3)): a note that selects identity answers
// can be drafted only by a handler who can read the identity, and finalised
// only with identity_basis "consent" or "legal_basis" and a written notice
// to the whistleblower, which is sent as a handler message in the same
// transaction that makes the note final.

// EntryDisclosure journals a disclosure note; EntryExport a case export.
const (
	EntryDisclosure = "disclosure"
	EntryExport     = "export"
)

// Identity bases for disclosing the whistleblower's identity.
const (
	IdentityBasisConsent    = "consent"
	IdentityBasisLegalBasis = "legal_basis"
)

const (
	maxRecipientLen = 500
	maxBasisLen     = 2000
)

var (
	ErrInvalidDisclosure = errors.New("a disclosure note needs a recipient (at most 500 characters), a legal basis (at most 2,000), " +
		"a date (YYYY-MM-DD), and at least one known answer, message or file, or a text; identity answers go in \"identity\"")
	// ErrIdentityNotReadable refuses identity answers in a note by a
	// handler who cannot read the identity, or of a report without one.
	ErrIdentityNotReadable = errors.New("identity answers can be selected only by a handler who can read the identity of this report")
	// ErrIdentityBasisRequired refuses to finalise a note with identity
	// answers without a basis and a notice to the whistleblower (CA-3).
	ErrIdentityBasisRequired = errors.New("disclosing the identity requires identity_basis \"consent\" or \"legal_basis\" and a written notice to the whistleblower, which is sent first")
	// ErrDisclosureFinal refuses to finalise a note twice.
	ErrDisclosureFinal = errors.New("the disclosure note is already final")
)

// DisclosureInput is what a handler selects for a note.
type DisclosureInput struct {
	Recipient  string   // the authority's name
	LegalBasis string   // required text
	Date       string   // YYYY-MM-DD; today in the organisation's time zone when empty
	Answers    []string // question ids of (non-identity) answers
	Identity   []string // question ids of identity answers: explicit only
	Messages   []string // message ids
	Files      []string // original file ids: always refused (ErrOriginalFile)
	Redactions []string // ids of released anonymised copies (DA-2): referenced, not copied
	Text       string   // free text
}

// FinaliseInput completes a note. IdentityBasis and Notice are required
// when the note selects identity answers; a Notice is sent to the
// whistleblower in any case when given.
type FinaliseInput struct {
	IdentityBasis string
	Notice        string
}

// disclosureBody is what a note seals under the case key.
type disclosureBody struct {
	Recipient   string               `json:"recipient"`
	Basis       string               `json:"basis"`
	Date        string               `json:"date"`
	Text        string               `json:"text,omitempty"`
	Answers     []disclosedAnswerS   `json:"answers,omitempty"`
	IdentityIDs []string             `json:"identity_ids,omitempty"`
	Messages    []DisclosedMessage   `json:"messages,omitempty"`
	Files       []DisclosedFileView  `json:"files,omitempty"`
	Redactions  []DisclosedRedaction `json:"redactions,omitempty"`
}

type disclosedAnswerS struct {
	QuestionID string `json:"question_id"`
	Value      any    `json:"value"`
}

// DisclosedAnswer is a selected answer as shown.
type DisclosedAnswer struct {
	QuestionID string `json:"question_id"`
	Label      string `json:"label"`
	Value      string `json:"value"`
}

// DisclosedMessage is a selected message, copied into the note.
type DisclosedMessage struct {
	ID         string    `json:"id"`
	AuthorType string    `json:"author_type"`
	CreatedAt  time.Time `json:"created_at"`
	Text       string    `json:"text"`
}

// DisclosedFileView is a selected file: a reference with its name.
type DisclosedFileView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
}

// DisclosureView is an opened disclosure note.
type DisclosureView struct {
	ID         string              `json:"id"`
	CaseID     string              `json:"case_id"`
	CaseNumber int64               `json:"case_number"`
	State      string              `json:"state"`
	Recipient  string              `json:"recipient"`
	LegalBasis string              `json:"legal_basis"`
	Date       string              `json:"date"`
	Text       string              `json:"text,omitempty"`
	Answers    []DisclosedAnswer   `json:"answers"`
	Messages   []DisclosedMessage  `json:"messages"`
	Files      []DisclosedFileView `json:"files"`
	// Redactions are the released anonymised copies the note names
	// (DA-2); an original file never leaves a case through a note.
	Redactions []DisclosedRedaction `json:"redactions"`
	// IdentitySelected lists the identity question ids the note
	// discloses; Identity holds their answers only for a reader who holds
	// the identity key, otherwise IdentityWithheld is true.
	IdentitySelected []string          `json:"identity_selected"`
	Identity         []DisclosedAnswer `json:"identity,omitempty"`
	IdentityWithheld bool              `json:"identity_withheld,omitempty"`
	IdentityBasis    string            `json:"identity_basis,omitempty"`
	NoticeMessageID  string            `json:"notice_message_id,omitempty"`
	CreatedBy        string            `json:"created_by"`
	CreatedAt        time.Time         `json:"created_at"`
	FinalisedBy      string            `json:"finalised_by,omitempty"`
	FinalisedAt      *time.Time        `json:"finalised_at"`
}

// ADDisclosure binds a note's sealed body to its case and id.
func ADDisclosure(tenant, reportID, disclosureID string) []byte {
	return keys.AD(tenant, "report", reportID, "disclosure", disclosureID)
}

// checkDisclosure validates a selection against the opened case and
// builds the sealed body.
func (s *Service) checkDisclosure(ctx context.Context, st *accounts.Staff, c *Case, v report.View, in DisclosureInput) (disclosureBody, error) {
	b := disclosureBody{Recipient: strings.TrimSpace(in.Recipient), Basis: strings.TrimSpace(in.LegalBasis), Date: strings.TrimSpace(in.Date)}
	for _, t := range []struct {
		s   string
		max int
	}{{b.Recipient, maxRecipientLen}, {b.Basis, maxBasisLen}} {
		if t.s == "" || utf8.RuneCountInString(t.s) > t.max {
			return disclosureBody{}, ErrInvalidDisclosure
		}
		if _, err := report.CheckText(t.s); err != nil {
			return disclosureBody{}, ErrInvalidDisclosure
		}
	}
	if b.Date == "" {
		loc, err := s.location(ctx, st.TenantID)
		if err != nil {
			return disclosureBody{}, err
		}
		b.Date = s.cfg.Now().In(loc).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, b.Date); err != nil {
		return disclosureBody{}, ErrInvalidDisclosure
	}
	if t := strings.TrimSpace(in.Text); t != "" {
		text, err := report.CheckText(t)
		if err != nil {
			return disclosureBody{}, ErrInvalidDisclosure
		}
		b.Text = text
	}
	for _, id := range dedupe(in.Answers) {
		q, ok := v.Questionnaire.Question(id)
		if !ok || q.Identity {
			return disclosureBody{}, ErrInvalidDisclosure
		}
		val, ok := v.Answers[id]
		if !ok {
			return disclosureBody{}, ErrInvalidDisclosure
		}
		b.Answers = append(b.Answers, disclosedAnswerS{QuestionID: id, Value: val})
	}
	if ids := dedupe(in.Identity); len(ids) > 0 {
		if !v.HasIdentity || c.Keys.Identity == nil || v.Identity == nil {
			return disclosureBody{}, ErrIdentityNotReadable
		}
		for _, id := range ids {
			q, ok := v.Questionnaire.Question(id)
			if !ok || !q.Identity {
				return disclosureBody{}, ErrInvalidDisclosure
			}
			if _, ok := v.Identity[id]; !ok {
				return disclosureBody{}, ErrInvalidDisclosure
			}
		}
		b.IdentityIDs = ids
	}
	for _, id := range dedupe(in.Messages) {
		i := slices.IndexFunc(v.Messages, func(m report.MessageView) bool { return m.ID == id })
		if i < 0 {
			return disclosureBody{}, ErrInvalidDisclosure
		}
		m := v.Messages[i]
		b.Messages = append(b.Messages, DisclosedMessage{ID: m.ID, AuthorType: m.AuthorType, CreatedAt: m.CreatedAt, Text: m.Text})
	}
	// An original file may carry everything an anonymised copy removes
	// (names, numbers, metadata): only released copies leave (DA-2).
	if len(in.Files) > 0 {
		return disclosureBody{}, ErrOriginalFile
	}
	if ids := dedupe(in.Redactions); len(ids) > 0 {
		rs, err := s.releasedRedactions(ctx, c, ids)
		if err != nil {
			return disclosureBody{}, err
		}
		b.Redactions = rs
	}
	if len(b.Answers)+len(b.IdentityIDs)+len(b.Messages)+len(b.Redactions) == 0 && b.Text == "" {
		return disclosureBody{}, ErrInvalidDisclosure
	}
	return b, nil
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// CreateDisclosure drafts a disclosure note from a selection.
func (s *Service) CreateDisclosure(ctx context.Context, st *accounts.Staff, reportID string, in DisclosureInput) (DisclosureView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return DisclosureView{}, err
	}
	if c.Keys.Case == nil {
		return DisclosureView{}, ErrNoCaseKey
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, ""); err != nil {
		return DisclosureView{}, err
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, c.Keys)
	if err != nil {
		return DisclosureView{}, err
	}
	b, err := s.checkDisclosure(ctx, st, c, v, in)
	if err != nil {
		return DisclosureView{}, err
	}
	now := s.cfg.Now()
	d := store.Disclosure{TenantID: st.TenantID, ID: store.NewID(), ReportID: reportID, State: store.DisclosureDraft,
		HasIdentity: len(b.IdentityIDs) > 0, CreatedBy: st.UserID, CreatedAt: now}
	if d.Body, err = sealPersonJSON(*c.Keys.Case, b, ADDisclosure(st.TenantID, reportID, d.ID)); err != nil {
		return DisclosureView{}, err
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryDisclosure, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "draft", DisclosureID: d.ID, Recipient: b.Recipient, Basis: b.Basis, Date: b.Date,
			QuestionIDs:  ids(b.Answers, func(a disclosedAnswerS) string { return a.QuestionID }),
			IdentityIDs:  b.IdentityIDs,
			MessageIDs:   ids(b.Messages, func(m DisclosedMessage) string { return m.ID }),
			FileIDs:      ids(b.Files, func(f DisclosedFileView) string { return f.ID }),
			RedactionIDs: ids(b.Redactions, func(r DisclosedRedaction) string { return r.ID })})
	if err != nil {
		return DisclosureView{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDisclosure(ctx, d); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseDisclose, audit.ObjectCase, reportID, "draft"))
		return err
	})
	if err != nil {
		return DisclosureView{}, err
	}
	return s.disclosureView(c, v, d, b, false), nil
}

// disclosureView renders a note. Identity answers are filled in only when
// withIdentity is set and the reader's keys opened them.
func (s *Service) disclosureView(c *Case, v report.View, d store.Disclosure, b disclosureBody, withIdentity bool) DisclosureView {
	out := DisclosureView{ID: d.ID, CaseID: d.ReportID, CaseNumber: c.Report.CaseNumber, State: d.State,
		Recipient: b.Recipient, LegalBasis: b.Basis, Date: b.Date, Text: b.Text,
		Answers: []DisclosedAnswer{}, Messages: b.Messages, Files: b.Files, Redactions: b.Redactions, IdentitySelected: b.IdentityIDs,
		IdentityBasis: d.IdentityBasis, NoticeMessageID: d.NoticeMessageID, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt,
		FinalisedBy: d.FinalisedBy}
	if !d.FinalisedAt.IsZero() {
		t := d.FinalisedAt
		out.FinalisedAt = &t
	}
	if out.Messages == nil {
		out.Messages = []DisclosedMessage{}
	}
	if out.Files == nil {
		out.Files = []DisclosedFileView{}
	}
	if out.Redactions == nil {
		out.Redactions = []DisclosedRedaction{}
	}
	if out.IdentitySelected == nil {
		out.IdentitySelected = []string{}
	}
	for _, a := range b.Answers {
		q, label := questionLabel(v.Questionnaire, a.QuestionID)
		out.Answers = append(out.Answers, DisclosedAnswer{QuestionID: a.QuestionID, Label: label, Value: answerText(q, a.Value)})
	}
	if len(b.IdentityIDs) > 0 {
		if withIdentity && v.Identity != nil {
			for _, id := range b.IdentityIDs {
				q, label := questionLabel(v.Questionnaire, id)
				out.Identity = append(out.Identity, DisclosedAnswer{QuestionID: id, Label: label, Value: answerText(q, v.Identity[id])})
			}
		} else {
			out.IdentityWithheld = true
		}
	}
	return out
}

// loadDisclosure opens a case and one of its notes.
func (s *Service) loadDisclosure(ctx context.Context, st *accounts.Staff, reportID, disclosureID string) (*Case, store.Disclosure, disclosureBody, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, store.Disclosure{}, disclosureBody{}, err
	}
	if c.Keys.Case == nil {
		return nil, store.Disclosure{}, disclosureBody{}, ErrNotFound
	}
	d, err := s.cfg.DB.Disclosure(ctx, st.TenantID, reportID, disclosureID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Disclosure{}, disclosureBody{}, ErrNotFound
	}
	if err != nil {
		return nil, store.Disclosure{}, disclosureBody{}, err
	}
	var b disclosureBody
	if err := report.OpenJSON(*c.Keys.Case, d.Body, ADDisclosure(st.TenantID, reportID, d.ID), &b); err != nil {
		return nil, store.Disclosure{}, disclosureBody{}, fmt.Errorf("cases: open disclosure: %w", err)
	}
	return c, d, b, nil
}

// Disclosures lists a case's disclosure notes.
func (s *Service) Disclosures(ctx context.Context, st *accounts.Staff, reportID string) ([]DisclosureView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	if c.Keys.Case == nil {
		return nil, ErrNoCaseKey
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, report.Keys{Report: c.Keys.Report, Case: c.Keys.Case})
	if err != nil {
		return nil, err
	}
	ds, err := s.cfg.DB.Disclosures(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "disclosures")); err != nil {
		return nil, err
	}
	out := make([]DisclosureView, 0, len(ds))
	for _, d := range ds {
		var b disclosureBody
		if err := report.OpenJSON(*c.Keys.Case, d.Body, ADDisclosure(st.TenantID, reportID, d.ID), &b); err != nil {
			return nil, fmt.Errorf("cases: open disclosure: %w", err)
		}
		out = append(out, s.disclosureView(c, v, d, b, false))
	}
	return out, nil
}

// Disclosure opens one note. The identity answers it selects are shown to
// a reader who holds the identity key (and that reading is audited).
func (s *Service) Disclosure(ctx context.Context, st *accounts.Staff, reportID, disclosureID string) (DisclosureView, error) {
	c, d, b, err := s.loadDisclosure(ctx, st, reportID, disclosureID)
	if err != nil {
		return DisclosureView{}, err
	}
	withIdentity := len(b.IdentityIDs) > 0 && c.Keys.Identity != nil
	ks := report.Keys{Report: c.Keys.Report, Case: c.Keys.Case}
	if withIdentity {
		ks.Identity = c.Keys.Identity
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, ks)
	if err != nil {
		return DisclosureView{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "disclosure")); err != nil {
		return DisclosureView{}, err
	}
	if withIdentity {
		if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionIdentityRead, audit.ObjectCase, reportID, "")); err != nil {
			return DisclosureView{}, err
		}
	}
	return s.disclosureView(c, v, d, b, withIdentity), nil
}

// FinaliseDisclosure makes a draft final. A note with identity answers
// needs the reader to hold the identity key, an identity basis and a
// notice, which is sent to the whistleblower in the same transaction.
func (s *Service) FinaliseDisclosure(ctx context.Context, st *accounts.Staff, reportID, disclosureID string, in FinaliseInput) (DisclosureView, error) {
	c, d, b, err := s.loadDisclosure(ctx, st, reportID, disclosureID)
	if err != nil {
		return DisclosureView{}, err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, ""); err != nil {
		return DisclosureView{}, err
	}
	if d.State != store.DisclosureDraft {
		return DisclosureView{}, ErrDisclosureFinal
	}
	basis := strings.TrimSpace(in.IdentityBasis)
	notice := strings.TrimSpace(in.Notice)
	if d.HasIdentity {
		if c.Keys.Identity == nil {
			return DisclosureView{}, ErrIdentityNotReadable
		}
		if basis != IdentityBasisConsent && basis != IdentityBasisLegalBasis || notice == "" {
			return DisclosureView{}, ErrIdentityBasisRequired
		}
	} else if basis != "" {
		return DisclosureView{}, ErrInvalidDisclosure // an identity basis for a note without identity
	}
	now := s.cfg.Now()
	var msg store.Message
	var feedbackDue time.Time
	if notice != "" {
		if msg, err = report.NewMessage(c.Keys.Report, st.TenantID, reportID, store.AuthorStaff, st.UserID, notice, now); err != nil {
			return DisclosureView{}, err
		}
		if c.Report.AcknowledgedAt.IsZero() {
			if feedbackDue, err = s.feedbackDue(ctx, c.Report, now); err != nil {
				return DisclosureView{}, err
			}
		}
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryDisclosure, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "finalise", DisclosureID: d.ID, Recipient: b.Recipient, Basis: b.Basis, Date: b.Date,
			IdentityIDs: b.IdentityIDs, IdentityBasis: basis, MessageID: msg.ID})
	if err != nil {
		return DisclosureView{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if notice != "" {
			// The notice goes first (CA-3): the note is final only once
			// the whistleblower has been written to.
			if err := tx.InsertMessage(ctx, msg); err != nil {
				return err
			}
			if !feedbackDue.IsZero() {
				if _, err := tx.SetAcknowledged(ctx, st.TenantID, reportID, now, feedbackDue); err != nil {
					return err
				}
			}
			if err := tx.TouchReport(ctx, st.TenantID, reportID, now); err != nil {
				return err
			}
			if _, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseMessage, audit.ObjectCase, reportID, "")); err != nil {
				return err
			}
		}
		if err := tx.FinaliseDisclosure(ctx, st.TenantID, reportID, d.ID, st.UserID, basis, msg.ID, now); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseDisclose, audit.ObjectCase, reportID, "final"))
		return err
	})
	if errors.Is(err, store.ErrStateChanged) {
		return DisclosureView{}, ErrDisclosureFinal
	}
	if err != nil {
		return DisclosureView{}, err
	}
	d.State, d.FinalisedBy, d.FinalisedAt, d.IdentityBasis, d.NoticeMessageID = store.DisclosureFinal, st.UserID, now, basis, msg.ID
	v, err := report.Load(ctx, s.cfg.DB, c.Report, report.Keys{Report: c.Keys.Report, Case: c.Keys.Case})
	if err != nil {
		return DisclosureView{}, err
	}
	return s.disclosureView(c, v, d, b, false), nil
}

// DisclosurePDF renders a note as a PDF: recipient, basis, date, the
// selected answers (labels in English), messages, the names of the
// referenced files and the free text. The identity answers appear only in
// a final note and for a reader holding the identity key. The download is
// audited (case.disclose "pdf").
func (s *Service) DisclosurePDF(ctx context.Context, st *accounts.Staff, reportID, disclosureID string) (name string, pdf []byte, err error) {
	c, d, b, err := s.loadDisclosure(ctx, st, reportID, disclosureID)
	if err != nil {
		return "", nil, err
	}
	withIdentity := len(b.IdentityIDs) > 0 && d.State == store.DisclosureFinal && c.Keys.Identity != nil
	ks := report.Keys{Report: c.Keys.Report, Case: c.Keys.Case}
	if withIdentity {
		ks.Identity = c.Keys.Identity
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, ks)
	if err != nil {
		return "", nil, err
	}
	loc, err := s.location(ctx, st.TenantID)
	if err != nil {
		return "", nil, err
	}
	view := s.disclosureView(c, v, d, b, withIdentity)
	pdf, err = disclosurePDF(view, loc)
	if err != nil {
		return "", nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseDisclose, audit.ObjectCase, reportID, "pdf")); err != nil {
		return "", nil, err
	}
	if withIdentity {
		if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionIdentityRead, audit.ObjectCase, reportID, "")); err != nil {
			return "", nil, err
		}
	}
	return fmt.Sprintf("disclosure-case-%d-%s.pdf", c.Report.CaseNumber, view.Date), pdf, nil
}

func disclosurePDF(v DisclosureView, loc *time.Location) ([]byte, error) {
	title := "Disclosure note"
	if v.State != store.DisclosureFinal {
		title += " (DRAFT, not final)"
	}
	at := v.CreatedAt
	if v.FinalisedAt != nil {
		at = *v.FinalisedAt
	}
	d := newPDF(title, at)
	d.field("Case", fmt.Sprintf("%d", v.CaseNumber))
	d.field("Recipient", v.Recipient)
	d.field("Legal basis", v.LegalBasis)
	d.field("Date", v.Date)
	if v.FinalisedAt != nil {
		d.field("Finalised", pdfTime(*v.FinalisedAt, loc))
	}
	d.small("This note holds only the information selected for the recipient. It is not the original report.")
	if len(v.Answers) > 0 {
		d.heading("Selected answers")
		for _, a := range v.Answers {
			d.field(a.Label, a.Value)
		}
	}
	if len(v.IdentitySelected) > 0 {
		d.heading("Identity of the reporting person")
		if len(v.Identity) > 0 {
			d.small("Disclosed on the basis of: " + identityBasisWords(v.IdentityBasis) + "; the reporting person was notified in writing beforehand.")
			for _, a := range v.Identity {
				d.field(a.Label, a.Value)
			}
		} else {
			d.para("[withheld: shown only in a final note, to a reader who holds the identity key]")
		}
	}
	if len(v.Messages) > 0 {
		d.heading("Selected messages")
		for _, m := range v.Messages {
			d.field(authorWord(m.AuthorType)+", "+pdfTime(m.CreatedAt, loc), m.Text)
		}
	}
	if len(v.Files) > 0 {
		d.heading("Attached files")
		for _, f := range v.Files {
			d.para(fmt.Sprintf("%s (%d bytes)", f.Name, f.Size))
		}
	}
	if len(v.Redactions) > 0 {
		d.heading("Anonymised copies")
		d.small("Each copy was prepared by one case handler, approved by a second and checked by the release gate; the original files are not disclosed.")
		for _, r := range v.Redactions {
			d.para(fmt.Sprintf("%s (%d bytes, %s, released %s)", r.Name, r.Size, r.MediaType, pdfTime(r.ReleasedAt, loc)))
		}
	}
	if v.Text != "" {
		d.heading("Note")
		d.para(v.Text)
	}
	return d.bytes()
}

func identityBasisWords(b string) string {
	switch b {
	case IdentityBasisConsent:
		return "the reporting person's consent"
	case IdentityBasisLegalBasis:
		return "a legal obligation"
	}
	return "-"
}
