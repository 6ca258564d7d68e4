package cases

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Case export (RT-3): a whole case as a zip for the organisation's
// records system, holding case.pdf (state and deadlines, answers,
// messages, the journal in order, persons concerned by pseudonym only)
// and files/<name>, the original decrypted files. The zip is streamed to
// the response and never written to disk. The export is journaled (kind
// "export") and audited (case.export "zip") before anything is streamed.
// The identity answers are not part of the export.

// CaseExport is an export ready to stream.
type CaseExport struct {
	Name  string // suggested file name of the zip
	s     *Service
	c     *Case
	pdf   []byte
	files []exportFile
}

type exportFile struct {
	id, name string
	modified time.Time
}

// Export prepares a case export: it renders case.pdf, journals and audits
// the export, and returns what WriteZip streams.
func (s *Service) Export(ctx context.Context, st *accounts.Staff, reportID string) (*CaseExport, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	if c.Keys.Case == nil {
		return nil, ErrNoCaseKey
	}
	// The identity answers stay out: they are sealed apart (CA-2).
	v, err := report.Load(ctx, s.cfg.DB, c.Report, report.Keys{Report: c.Keys.Report, Case: c.Keys.Case})
	if err != nil {
		return nil, err
	}
	journal, err := s.Journal(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	persons, err := s.cfg.DB.Persons(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	loc, err := s.location(ctx, st.TenantID)
	if err != nil {
		return nil, err
	}
	names := zipNames(v.Files)
	e := &CaseExport{Name: fmt.Sprintf("case-%d.zip", c.Report.CaseNumber), s: s, c: c}
	var fileIDs []string
	for i, f := range v.Files {
		e.files = append(e.files, exportFile{id: f.ID, name: names[i], modified: f.CreatedAt})
		fileIDs = append(fileIDs, f.ID)
	}
	if e.pdf, err = casePDF(v, journal, persons, names, loc, s.cfg.Now()); err != nil {
		return nil, err
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryExport, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: s.cfg.Now()},
		journalBody{Action: "zip", FileIDs: fileIDs})
	if err != nil {
		return nil, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseExport, audit.ObjectCase, reportID, "zip"))
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// WriteZip streams the export. On an error the zip is left incomplete
// (no central directory), so a broken download cannot pass for a whole one.
func (e *CaseExport) WriteZip(ctx context.Context, w io.Writer) error {
	zw := zip.NewWriter(w)
	pw, err := zw.CreateHeader(&zip.FileHeader{Name: "case.pdf", Method: zip.Deflate, Modified: e.s.cfg.Now()})
	if err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	if _, err := pw.Write(e.pdf); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	for _, f := range e.files {
		if err := e.writeFile(ctx, zw, f); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	return nil
}

func (e *CaseExport) writeFile(ctx context.Context, zw *zip.Writer, f exportFile) error {
	r, err := report.OpenFile(ctx, e.s.cfg.DB, e.s.cfg.Blobs, e.c.Report, e.c.Keys.Report, f.id)
	if err != nil {
		return fmt.Errorf("cases: export file: %w", err)
	}
	defer r.Close()
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "files/" + f.name, Method: zip.Deflate, Modified: f.modified})
	if err != nil {
		return fmt.Errorf("cases: export file: %w", err)
	}
	if _, err := io.Copy(fw, r); err != nil {
		return fmt.Errorf("cases: export file: %w", err)
	}
	return nil
}

// zipNames gives each file a safe, unique name inside files/: the
// displayable base name without path separators or characters that
// Windows refuses, no leading dot, and " (2)", " (3)" … before the
// extension for repeats (compared without case, as on Windows and macOS).
func zipNames(files []report.FileView) []string {
	seen := map[string]bool{}
	out := make([]string, len(files))
	for i, f := range files {
		name := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, report.CleanFileName(f.Name))
		name = strings.TrimRight(name, " .")
		if strings.HasPrefix(name, ".") {
			name = "_" + name[1:]
		}
		if name == "" {
			name = "file"
		}
		ext := path.Ext(name)
		if len(ext) > 20 || ext == name {
			ext = ""
		}
		base := strings.TrimSuffix(name, ext)
		candidate := name
		for n := 2; seen[strings.ToLower(candidate)]; n++ {
			candidate = fmt.Sprintf("%s (%d)%s", base, n, ext)
		}
		seen[strings.ToLower(candidate)] = true
		out[i] = candidate
	}
	return out
}

// casePDF renders case.pdf.
func casePDF(v report.View, journal []JournalView, persons []store.Person, fileNames []string, loc *time.Location, now time.Time) ([]byte, error) {
	d := newPDF(fmt.Sprintf("Case %d", v.CaseNumber))
	d.small("Exported from Varsel on " + pdfTime(now, loc) + ". The identity of the reporting person, if given, is not part of this export.")
	d.heading("State and deadlines")
	outcome := v.Outcome
	d.field("State", v.Status)
	d.field("Received", pdfTime(v.ReceivedAt, loc))
	d.field("Acknowledgement due", pdfTime(v.AckDueAt, loc))
	d.field("Acknowledged", pdfTime(v.AcknowledgedAt, loc))
	d.field("Feedback due", pdfTime(v.FeedbackDueAt, loc))
	d.field("Feedback given", pdfTime(v.FeedbackGivenAt, loc))
	d.field("Closed", pdfTime(v.ClosedAt, loc))
	if outcome != "" {
		d.field("Outcome", outcome)
	}
	if v.HasIdentity {
		d.small("The reporting person gave their identity; it is sealed apart and not exported.")
	}

	d.heading("Answers")
	for _, q := range v.Questionnaire.Questions {
		if q.Identity {
			continue
		}
		a, ok := v.Answers[q.ID]
		if !ok {
			continue
		}
		d.field(q.Label.In(pdfLang), answerText(q, a))
	}

	d.heading("Messages")
	if len(v.Messages) == 0 {
		d.para("None.")
	}
	for _, m := range v.Messages {
		d.field(authorWord(m.AuthorType)+", "+pdfTime(m.CreatedAt, loc), m.Text)
	}

	d.heading("Files")
	if len(v.Files) == 0 {
		d.para("None.")
	}
	for i, f := range v.Files {
		d.para(fmt.Sprintf("files/%s (%d bytes, %s, added by %s %s)", fileNames[i], f.Size, f.ContentType,
			strings.ToLower(authorWord(f.AuthorType)), pdfTime(f.CreatedAt, loc)))
	}

	d.heading("Persons concerned")
	if len(persons) == 0 {
		d.para("None.")
	}
	for _, p := range persons {
		d.para(fmt.Sprintf("%s: %s; notification %s", p.Pseudonym, strings.ReplaceAll(p.Role, "_", " "), strings.ReplaceAll(p.NoticeState, "_", " ")))
	}

	d.heading("Journal")
	if len(journal) == 0 {
		d.para("None.")
	}
	for _, j := range journal {
		head := pdfTime(j.CreatedAt, loc) + " - " + j.Kind + " - " + j.AuthorType
		if j.AuthorID != "" {
			head += " " + j.AuthorID
		}
		d.field(head, journalLines(j))
	}
	return d.bytes()
}

// journalLines lists the filled fields of a journal entry.
func journalLines(j JournalView) string {
	var b strings.Builder
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	add("Text", j.Text)
	add("Source", j.Source)
	add("Learned on", j.LearnedOn)
	add("From", j.From)
	add("To", j.To)
	add("Outcome", j.Outcome)
	add("Reason", j.Reason)
	add("Action", j.Action)
	add("User", j.UserID)
	add("Person", j.Person)
	add("Recipient", j.Recipient)
	add("Basis", j.Basis)
	add("Date", j.Date)
	add("Identity basis", j.IdentityBasis)
	add("Disclosure", j.DisclosureID)
	add("Message", j.MessageID)
	add("File", j.FileID)
	add("Questions", strings.Join(j.QuestionIDs, ", "))
	add("Identity questions", strings.Join(j.IdentityIDs, ", "))
	add("Messages", strings.Join(j.MessageIDs, ", "))
	add("Files", strings.Join(j.FileIDs, ", "))
	add("Corrects", j.Supersedes)
	add("Corrected by", j.SupersededBy)
	return strings.TrimRight(b.String(), "\n")
}
