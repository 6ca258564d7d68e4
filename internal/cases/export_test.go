package cases

import (
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
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	at := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	v := report.View{CaseNumber: 3, Status: "closed", ReceivedAt: at, Questionnaire: questionnaire.Questionnaire{}}
	approved := at.Add(time.Hour)
	oral := caseOral{Report: store.OralReport{ReportID: "r", Source: "phone", ConsentRecording: true, CreatedAt: at},
		Transcripts: []report.TranscriptView{
			{ID: "t1", DocID: "doc1", Version: 1, State: "sent", Author: "staff", Text: "Møte: ŋ ŧ đ – Ζ Ж", CreatedAt: at},
			{ID: "t2", DocID: "doc1", Version: 2, State: "approved", Author: "whistleblower", Text: "Corrected minutes", CreatedAt: at,
				ApprovedAt: &approved, Signed: true},
		}}
	pdf, err := casePDF(v, nil, nil, nil, time.UTC, at, oral)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "case.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
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
