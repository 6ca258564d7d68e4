package cases

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// The case PDF carries the oral report and every transcript version with
// its state and whether the approval verifies (JR-3, RT-3).
func TestCasePDFHoldsOralReportAndTranscripts(t *testing.T) {
	at := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	v := report.View{CaseNumber: 3, Status: "closed", ReceivedAt: at, Questionnaire: questionnaire.Questionnaire{}}
	approved := at.Add(time.Hour)
	oral := caseOral{Report: store.OralReport{ReportID: "r", Source: "phone", ConsentRecording: true, CreatedAt: at},
		Transcripts: []report.TranscriptView{
			{ID: "t1", DocID: "doc1", Version: 1, State: "sent", Author: "staff", Text: "Møte: ŋ ŧ đ – Ζ Ж", CreatedAt: at},
			{ID: "t2", DocID: "doc1", Version: 2, State: "approved", Author: "whistleblower", Text: "Corrected minutes", CreatedAt: at,
				ApprovedAt: &approved, Signed: true},
		}}
	pdf, err := casePDF(v, nil, nil, nil, time.UTC, at, oral, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfWords(t, pdf)
	for _, want := range []string{"Oral report", "Phone call", "Yes (recorded)", "Transcripts and minutes", "version 1: sent",
		"version 2: approved", "(approval verified)", "Møte: ŋ ŧ đ – Ζ Ж", "Corrected minutes"} {
		if !strings.Contains(text, want) {
			t.Errorf("case.pdf lacks %q\n%s", want, text)
		}
	}
	names := transcriptTexts(oral.Transcripts)
	if len(names) != 2 || names[0].name != "document-1-version-1-sent.txt" || names[1].name != "document-1-version-2-approved.txt" {
		t.Errorf("zip names %+v", names)
	}
}

// PDFWords is pdfWords for the package's external tests.
var PDFWords = pdfWords

// pdfWords extracts a PDF's text with pdftotext, whitespace collapsed.
func pdfWords(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	path := filepath.Join(t.TempDir(), "case.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// RC-2, RT-3: case.pdf lists every meeting request with its dates,
// status, the request and answer as written (Unicode included), who
// closed it and when, and the minutes by the name the transcripts
// section and the zip give them; the same case gives the same bytes.
func TestRC2CasePDFListsMeetingRequestsOpenHeldAndDeclined(t *testing.T) {
	at := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	v := report.View{CaseNumber: 3, Status: "investigation", ReceivedAt: at, Questionnaire: questionnaire.Questionnaire{}}
	oral := caseOral{Transcripts: []report.TranscriptView{
		{ID: "minutesv1", DocID: "minutesdoc1", Version: 1, State: "sent", Author: "staff", Text: "Referat", CreatedAt: at},
		{ID: "minutesv2", DocID: "minutesdoc1", Version: 2, State: "approved", Author: "whistleblower", Text: "Referat v2", CreatedAt: at},
	}}
	day := 24 * time.Hour
	tasks := []report.TaskView{
		{ID: "t1", Kind: store.TaskMeeting, Status: store.TaskDone, RequestedAt: at, DueAt: at.Add(14 * day),
			Request: "Tirsdager etter 16; ring 5550101 – Ŋ ŧ đ Ζ Ж", Answer: "Møtet ble holdt på kontoret.", OralReportID: "minutesdoc1",
			ClosedBy: "user-closer-1", ClosedAt: at.Add(3 * day)},
		{ID: "t2", Kind: store.TaskMeeting, Status: store.TaskDeclined, RequestedAt: at.Add(4 * day), DueAt: at.Add(18 * day),
			Answer: "Vi kan kun mødes på video.", ClosedBy: "user-closer-2", ClosedAt: at.Add(5 * day)},
		{ID: "t3", Kind: store.TaskMeeting, Status: store.TaskOpen, RequestedAt: at.Add(6 * day), DueAt: at.Add(20 * day),
			Request: "Zażółć gęślą jaźń, po 18:00"},
	}
	pdf, err := casePDF(v, nil, nil, nil, time.UTC, at, oral, tasks)
	if err != nil {
		t.Fatal(err)
	}
	again, err := casePDF(v, nil, nil, nil, time.UTC, at, oral, tasks)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, again) {
		t.Error("the same case with meeting requests gave different PDF bytes")
	}
	text := pdfWords(t, pdf)
	for _, want := range []string{"Meeting requests",
		"Meeting request 1: held", "Requested: 2026-01-31 10:00 UTC", "Due: 2026-02-14 10:00 UTC",
		"Request: Tirsdager etter 16; ring 5550101 – Ŋ ŧ đ Ζ Ж", "Note: Møtet ble holdt på kontoret.",
		"Closed by: staff user-closer-1, 2026-02-03 10:00 UTC",
		"Minutes: Document minutesd, version 2: approved (transcripts/document-1-version-2-approved.txt)",
		"Meeting request 2: declined", "Reason: Vi kan kun mødes på video.", "Closed by: staff user-closer-2, 2026-02-05 10:00 UTC",
		"Meeting request 3: open", "Due: 2026-02-20 10:00 UTC", "Request: Zażółć gęślą jaźń, po 18:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("case.pdf lacks %q\n%s", want, text)
		}
	}
	// The open request has no answer and no closer yet.
	open := text[strings.Index(text, "Meeting request 3: open"):]
	if end := strings.Index(open, "Messages"); end > 0 {
		open = open[:end]
	}
	if strings.Contains(open, "Closed by") || strings.Contains(open, "Note:") {
		t.Errorf("the open request shows an answer: %s", open)
	}

	none, err := casePDF(v, nil, nil, nil, time.UTC, at, caseOral{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfWords(t, none); !strings.Contains(text, "Meeting requests") || strings.Contains(text, "Meeting request 1") {
		t.Errorf("a case without requests: %s", text)
	}
}
