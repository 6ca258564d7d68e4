package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/redact"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Access export for a person concerned (DSR-5; GDPR art. 15, art. 15(4);
// Directive art. 16): what the case holds about one person, for their
// access request. It holds the answers and messages in which the person is
// mentioned, passed through the anonymisation engine so that every other
// person (the case's other persons and any name, identity number, e-mail
// or phone number detect finds) is replaced by a label while the person's
// own name stays; the source of the data (art. 15(1)(g)) without anything
// that identifies the reporting person; the purposes and the retention.
// The identity answers are never read: they are sealed apart (CA-2) and
// this export does not ask for the identity key. Messages carry only
// "report" or "case handler" as their origin, never an author id. The
// export is journaled (kind "export", action "subject") and audited
// (case.export "subject").

// SubjectExport is the access export of one person concerned.
type SubjectExport struct {
	CaseNumber  int64              `json:"case_number"`
	GeneratedAt time.Time          `json:"generated_at"`
	Person      SubjectExportParty `json:"person"`
	Source      string             `json:"source"`
	Purposes    []string           `json:"purposes"`
	Retention   string             `json:"retention"`
	// ExpiresAt is filled by the caller when the retention policy gives a date.
	ExpiresAt *time.Time          `json:"expires_at,omitempty"`
	Items     []SubjectExportItem `json:"items"`
	Notice    string              `json:"notice"`
}

// SubjectExportParty is what the export says about the requester.
type SubjectExportParty struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Role    string   `json:"role"`
}

// SubjectExportItem is one redacted text that mentions the person.
type SubjectExportItem struct {
	Kind   string    `json:"kind"`   // "answer" or "message"
	Origin string    `json:"origin"` // "report" or "case handler"
	Label  string    `json:"label,omitempty"`
	Date   time.Time `json:"date"`
	Text   string    `json:"text"`
}

// SubjectPurposes are the purposes of the processing, stated to the person.
var SubjectPurposes = []string{
	"Receiving, following up and investigating a report made through the organisation's whistleblowing channel (EU Directive 2019/1937 and the national whistleblowing act).",
	"Establishing, exercising or defending legal claims arising from the matters reported.",
}

const subjectSource = "A report received through the organisation's whistleblowing channel on %s. The identity of the reporting person is protected by law (Directive 2019/1937 art. 16) and is not disclosed."

const subjectRetention = "The case is kept no longer than necessary and proportionate: it is deleted under the organisation's retention policy for the whistleblowing channel, counted from the closure of the case, unless a legal hold applies."

const subjectNotice = "Texts are included where they mention you. Other persons and data that could identify the reporting person or third parties are replaced by labels in square brackets (GDPR art. 15(4))."

// SubjectExport builds the access export of person personID on the case.
// Only holders of the case key may build it; others get ErrNotFound or
// ErrNoCaseKey, as for the persons themselves.
func (s *Service) SubjectExport(ctx context.Context, st *accounts.Staff, reportID, personID string) (SubjectExport, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return SubjectExport{}, err
	}
	subject, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return SubjectExport{}, err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, ""); err != nil {
		return SubjectExport{}, err
	}

	all, err := s.cfg.DB.Persons(ctx, st.TenantID, reportID)
	if err != nil {
		return SubjectExport{}, err
	}
	var self PersonDetails
	var others []detect.Person
	if len(subject.Details) == 0 || !subject.RemovedAt.IsZero() {
		return SubjectExport{}, ErrNotFound
	}
	for _, p := range all {
		if len(p.Details) == 0 {
			continue
		}
		var d PersonDetails
		if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
			return SubjectExport{}, fmt.Errorf("cases: open person: %w", err)
		}
		if p.ID == subject.ID {
			self = d
			continue
		}
		others = append(others, detect.Person{Name: d.Name, Aliases: append(append([]string(nil), d.Aliases...), d.Relatives...)})
	}
	// The identity answers stay out: no identity key is passed (CA-2).
	v, err := report.Load(ctx, s.cfg.DB, c.Report, report.Keys{Report: c.Keys.Report, Case: c.Keys.Case})
	if err != nil {
		return SubjectExport{}, err
	}
	now := s.cfg.Now()
	out := SubjectExport{CaseNumber: c.Report.CaseNumber, GeneratedAt: now,
		Person:   SubjectExportParty{Name: self.Name, Aliases: self.Aliases, Role: subject.Role},
		Source:   fmt.Sprintf(subjectSource, v.ReceivedAt.In(loc).Format(time.DateOnly)),
		Purposes: SubjectPurposes, Retention: subjectRetention, Notice: subjectNotice, Items: []SubjectExportItem{}}

	red := newSubjectRedactor(self, others)
	add := func(kind, origin, label string, date time.Time, text string) error {
		if !red.mentions(text) {
			return nil
		}
		t, err := red.redact(text)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, SubjectExportItem{Kind: kind, Origin: origin, Label: label, Date: date, Text: t})
		return nil
	}
	for _, q := range v.Questionnaire.Questions {
		if q.Identity {
			continue
		}
		a, ok := v.Answers[q.ID]
		if !ok {
			continue
		}
		if err := add("answer", "report", q.Label.In(pdfLang), v.ReceivedAt, answerText(q, a)); err != nil {
			return SubjectExport{}, err
		}
	}
	for _, m := range v.Messages {
		origin := "report"
		if m.AuthorType == store.AuthorStaff {
			origin = "case handler"
		}
		if err := add("message", origin, "", m.CreatedAt, m.Text); err != nil {
			return SubjectExport{}, err
		}
	}

	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryExport, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "subject", Person: subject.Pseudonym})
	if err != nil {
		return SubjectExport{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseExport, audit.ObjectCase, reportID, "subject"))
		return err
	})
	if err != nil {
		return SubjectExport{}, err
	}
	return out, nil
}

// subjectRedactor finds mentions of the subject and redacts everything
// else that identifies a person.
type subjectRedactor struct {
	self   *detect.Persons
	engine *detect.Engine
	opt    redact.Options
}

func newSubjectRedactor(self PersonDetails, others []detect.Person) *subjectRedactor {
	opt := redact.DefaultOptions()
	opt.Persons = others
	opt.MinScore = 0 // removing too much is safer than too little
	eng := detect.Default()
	if len(others) > 0 {
		eng = eng.With(detect.NewPersons(others))
	}
	return &subjectRedactor{
		self:   detect.NewPersons([]detect.Person{{Name: self.Name, Aliases: self.Aliases}}),
		engine: eng, opt: opt}
}

// selfSpans are the confident mentions of the subject: the full name, an
// alias, initials with the surname; not a given name or surname alone,
// which another person may share.
func (r *subjectRedactor) selfSpans(text string) []detect.Finding {
	var out []detect.Finding
	for _, f := range r.self.Detect(text) {
		if f.Score < 0.8 || strings.HasSuffix(f.Rule, ".given") || strings.HasSuffix(f.Rule, ".surname") || strings.HasSuffix(f.Rule, ".concat") {
			continue
		}
		out = append(out, f)
	}
	return out
}

func (r *subjectRedactor) mentions(text string) bool { return len(r.selfSpans(text)) > 0 }

// redact replaces every finding except a PERSON finding that lies wholly
// inside a confident mention of the subject.
func (r *subjectRedactor) redact(text string) (string, error) {
	self := r.selfSpans(text)
	var keep []detect.Finding
	for _, f := range r.engine.Scan(text) {
		if f.Type == detect.TypePerson && inside(f, self) {
			continue
		}
		keep = append(keep, f)
	}
	res, err := redact.Text(text, keep, r.opt)
	if err != nil {
		return "", err
	}
	return res.Text, nil
}

func inside(f detect.Finding, spans []detect.Finding) bool {
	for _, s := range spans {
		if f.Start >= s.Start && f.End <= s.End {
			return true
		}
	}
	return false
}
