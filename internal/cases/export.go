package cases

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
// The identity answers are not part of the export. Transcripts and
// minutes of an oral report go in case.pdf (every version, with its state
// and whether the whistleblower's approval verifies) and, as written, in
// transcripts/ as UTF-8 text. The whistleblower's meeting requests (RC-2)
// go in case.pdf with their answers, so that an export confirmed for
// deletion holds the case_tasks rows the deletion removes.
//
// Each export has an id (that of its journal entry), carried in the zip's
// comment; the SHA-256 of the streamed zip is recorded once the last byte
// is out, so that a handler can confirm the export arrived whole and, if
// the channel says so, have the case deleted (export_delete.go).

// CaseExport is an export ready to stream.
type CaseExport struct {
	Name  string // suggested file name of the zip
	ID    string // the export's id
	s     *Service
	c     *Case
	pdf   []byte
	files []exportFile
	texts []exportText
	sum   string
}

// exportText is a text document of the zip (a transcript version).
type exportText struct {
	name     string
	text     string
	modified time.Time
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
	if err := s.checkRestriction(ctx, st.TenantID, reportID, ""); err != nil {
		return nil, err
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
	oral, err := s.cfg.DB.OralReportOf(ctx, st.TenantID, reportID)
	if errors.Is(err, store.ErrNotFound) {
		oral, err = store.OralReport{}, nil
	}
	if err != nil {
		return nil, err
	}
	transcripts, err := report.OpenTranscripts(ctx, s.cfg.DB, c.Keys.Report, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	meetings, err := report.LoadTasks(ctx, s.cfg.DB, c.Keys.Report, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	names := zipNames(v.Files)
	e := &CaseExport{Name: fmt.Sprintf("case-%d.zip", c.Report.CaseNumber), ID: store.NewID(), s: s, c: c}
	e.texts = transcriptTexts(transcripts)
	var fileIDs []string
	for i, f := range v.Files {
		e.files = append(e.files, exportFile{id: f.ID, name: names[i], modified: f.CreatedAt})
		fileIDs = append(fileIDs, f.ID)
	}
	if e.pdf, err = casePDF(v, journal, persons, names, loc, s.cfg.Now(), caseOral{Report: oral, Transcripts: transcripts},
		meetings); err != nil {
		return nil, err
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: e.ID,
		Kind: EntryExport, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: s.cfg.Now()},
		journalBody{Action: "zip", FileIDs: fileIDs})
	if err != nil {
		return nil, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		appended, err := tx.AppendJournal(ctx, entry)
		if err != nil {
			return err
		}
		_, activity, err := tx.CasePosition(ctx, st.TenantID, reportID)
		if err != nil {
			return err
		}
		if err := tx.InsertCaseExport(ctx, store.CaseExport{TenantID: st.TenantID, ID: e.ID, ReportID: reportID,
			CreatedBy: st.UserID, CreatedAt: entry.CreatedAt, JournalSeq: appended.Seq, ActivityAt: activity}); err != nil {
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseExport, audit.ObjectCase, reportID, "zip"))
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// WriteZip streams the export. On an error the zip is left incomplete
// (no central directory), so a broken download cannot pass for a whole one.
// Once the zip is whole its SHA-256 is recorded (see SHA256).
func (e *CaseExport) WriteZip(ctx context.Context, w io.Writer) error {
	h := sha256.New()
	zw := zip.NewWriter(io.MultiWriter(w, h))
	if err := zw.SetComment("Varsel case export " + e.ID); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	pw, err := zw.CreateHeader(&zip.FileHeader{Name: "case.pdf", Method: zip.Deflate, Modified: e.s.cfg.Now()})
	if err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	if _, err := pw.Write(e.pdf); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	for _, t := range e.texts {
		tw, err := zw.CreateHeader(&zip.FileHeader{Name: "transcripts/" + t.name, Method: zip.Deflate, Modified: t.modified})
		if err != nil {
			return fmt.Errorf("cases: export transcript: %w", err)
		}
		if _, err := io.WriteString(tw, t.text); err != nil {
			return fmt.Errorf("cases: export transcript: %w", err)
		}
	}
	for _, f := range e.files {
		if err := e.writeFile(ctx, zw, f); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	e.sum = hex.EncodeToString(h.Sum(nil))
	// The whole zip is out; record its digest for the confirmation. The
	// request may be ending, but the record must not be lost with it.
	if err := e.s.cfg.DB.CompleteCaseExport(context.WithoutCancel(ctx), e.c.Report.TenantID, e.ID, e.sum, e.s.cfg.Now()); err != nil {
		return fmt.Errorf("cases: export: %w", err)
	}
	return nil
}

// SHA256 is the hex SHA-256 of the zip once WriteZip has returned nil.
func (e *CaseExport) SHA256() string { return e.sum }

// transcriptTexts names each transcript version for the zip: documents
// are numbered in the order they were started.
func transcriptTexts(ts []report.TranscriptView) []exportText {
	docs := map[string]int{}
	var out []exportText
	for _, t := range ts {
		n, ok := docs[t.DocID]
		if !ok {
			n = len(docs) + 1
			docs[t.DocID] = n
		}
		out = append(out, exportText{name: fmt.Sprintf("document-%d-version-%d-%s.txt", n, t.Version, t.State),
			text: t.Text, modified: t.CreatedAt})
	}
	return out
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
// caseOral is what case.pdf shows of an oral report: how it was made and
// its transcripts or minutes.
type caseOral struct {
	Report      store.OralReport // zero for a written report
	Transcripts []report.TranscriptView
}

func casePDF(v report.View, journal []JournalView, persons []store.Person, fileNames []string, loc *time.Location, now time.Time,
	oral caseOral, tasks []report.TaskView) ([]byte, error) {
	d := newPDF(fmt.Sprintf("Case %d", v.CaseNumber), now)
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

	if oral.Report.ReportID != "" {
		d.heading("Oral report")
		source := "Meeting"
		if oral.Report.Source == "phone" {
			source = "Phone call"
		}
		d.field("Reported by", source)
		d.field("Recorded by a handler on", pdfTime(oral.Report.CreatedAt, loc))
		consent := "No"
		if oral.Report.ConsentRecording {
			consent = "Yes (recorded)"
		}
		d.field("Consent to a recording", consent)
	}
	if len(oral.Transcripts) > 0 {
		d.heading("Transcripts and minutes")
		d.small("Every version, as written. The reporting person checks, corrects and approves them (Directive art. 18); an approved version is fixed.")
		for _, t := range oral.Transcripts {
			head := fmt.Sprintf("Document %s, version %d: %s, by %s, %s", shortID(t.DocID), t.Version, t.State,
				strings.ToLower(authorWord(t.Author)), pdfTime(t.CreatedAt, loc))
			if t.SentAt != nil {
				head += "; sent " + pdfTime(*t.SentAt, loc)
			}
			if t.ApprovedAt != nil {
				head += "; approved " + pdfTime(*t.ApprovedAt, loc)
				if t.Signed {
					head += " (approval verified)"
				} else {
					head += " (approval does NOT verify)"
				}
			}
			d.field(head, t.Text)
		}
	}
	meetingSection(d, tasks, oral.Transcripts, loc)

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

// meetingSection lists the whistleblower's meeting requests (RC-2) with
// the handlers' answers. The section is always there, "None." included,
// so that a reader of the export can tell that none were made.
func meetingSection(d *pdfDoc, tasks []report.TaskView, transcripts []report.TranscriptView, loc *time.Location) {
	d.heading("Meeting requests")
	d.small("The reporting person's requests to meet in person (Directive art. 9(2)), as written, and the handlers' answers, which the reporting person reads.")
	n := 0
	for _, t := range tasks {
		if t.Kind != store.TaskMeeting {
			continue
		}
		n++
		status := t.Status
		switch t.Status {
		case store.TaskDone:
			status = MeetingHeld
		case store.TaskDeclined:
			status = MeetingDeclined
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Requested: %s\nDue: %s\nStatus: %s\n", pdfTime(t.RequestedAt, loc), pdfTime(t.DueAt, loc), status)
		request := t.Request
		if request == "" {
			request = "(no preferred times or contact given)"
		}
		fmt.Fprintf(&b, "Request: %s\n", request)
		if t.Status != store.TaskOpen {
			label := "Note"
			if t.Status == store.TaskDeclined {
				label = "Reason"
			}
			answer := t.Answer
			if answer == "" {
				answer = "-"
			}
			fmt.Fprintf(&b, "%s: %s\n", label, answer)
			// Staff are named as in the journal: by type and user id.
			fmt.Fprintf(&b, "Closed by: %s %s, %s\n", store.AuthorStaff, t.ClosedBy, pdfTime(t.ClosedAt, loc))
		}
		if t.OralReportID != "" {
			fmt.Fprintf(&b, "Minutes: %s\n", minutesName(t.OralReportID, transcripts))
		}
		d.field(fmt.Sprintf("Meeting request %d: %s", n, status), strings.TrimRight(b.String(), "\n"))
	}
	if n == 0 {
		d.para("None.")
	}
}

// minutesName names a transcript document as the transcripts section and
// the zip do: its short id, and the file of its latest version.
func minutesName(docID string, transcripts []report.TranscriptView) string {
	name := "Document " + shortID(docID)
	texts := transcriptTexts(transcripts)
	last := -1
	for i, t := range transcripts {
		if t.DocID == docID && (last < 0 || t.Version > transcripts[last].Version) {
			last = i
		}
	}
	if last >= 0 {
		t := transcripts[last]
		name += fmt.Sprintf(", version %d: %s (transcripts/%s)", t.Version, t.State, texts[last].name)
	}
	return name
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

// shortID shortens an id for reading.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
