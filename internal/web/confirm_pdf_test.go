package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/pdftest"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
)

// needPoppler skips a test without poppler-utils, or fails it when
// VARSEL_REQUIRE_REDACT_TOOLS=1 (CI).
func needPoppler(t *testing.T) {
	t.Helper()
	if err := docredact.CleanAvailable(); err != nil {
		if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
			t.Fatalf("VARSEL_REQUIRE_REDACT_TOOLS=1: %v", err)
		}
		t.Skipf("PDFs are not cleaned here: %v", err)
	}
}

func withPDF(c intake.PDFConfig) apiEnvOption { return func(ic *intake.Config) { ic.PDF = c } }

// pdfMarkers are the values the dirty PDF hides, one per place.
var pdfMarkers = pdftest.Dirty{Pages: 2, Text: "Visible words", Author: "MARKERAUTHOR Kari Nordmann",
	Creator: "MARKERCREATOR Writer", Producer: "MARKERPRODUCER Suite", XMPCreator: "MARKERXMP Kari",
	Attachment: "MARKERATTACHMENT", Comment: "MARKERCOMMENT ask Per", CommentBy: "MARKERCOMMENTBY",
	FormValue: "MARKERFORM 12345678901", Compressed: true, Incremental: "MARKERREVISION Ola"}

func markerValues() []string {
	d := pdfMarkers
	return []string{d.Author, d.Creator, d.Producer, d.XMPCreator, d.Attachment, d.Comment, d.CommentBy, d.FormValue, d.Incremental}
}

// assertCleanPDF checks a stored PDF the way a recipient could read it:
// Varsel's own inspection, the release gate's structure, byte, text and
// OCR scans (with tesseract), exiftool and pdfinfo.
func assertCleanPDF(t *testing.T, got []byte, pages int) {
	t.Helper()
	if k := scrub.Detect(bytes.NewReader(got), int64(len(got))); k != scrub.KindPDF {
		t.Fatalf("the stored file is %s, not a PDF", k)
	}
	rep, err := scrub.Inspect(bytes.NewReader(got), int64(len(got)), scrub.KindPDF)
	if err != nil || len(rep.Fields) != 0 {
		t.Errorf("the stored PDF still reveals %+v (%v)", rep.Fields, err)
	}
	if bytes.Contains(got, []byte("MARKER")) {
		t.Error("a marker is in the stored bytes")
	}
	if docredact.HaveTool("tesseract") {
		if err := docredact.Gate(context.Background(), got, "application/pdf", markerValues()); err != nil {
			t.Errorf("release gate: %v", err)
		}
	}
	if p, err := exec.LookPath("exiftool"); err == nil {
		f := filepath.Join(t.TempDir(), "out.pdf")
		os.WriteFile(f, got, 0o600)
		out, _ := exec.Command(p, "-j", "-a", "-G1", f).Output()
		var res []map[string]any
		if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
			t.Fatalf("exiftool: %v", err)
		}
		for k := range res[0] {
			name := k[strings.LastIndex(k, ":")+1:]
			if strings.HasPrefix(k, "XMP") || name == "Author" || name == "Creator" || name == "Producer" || name == "CreatorTool" {
				t.Errorf("exiftool finds %s", k)
			}
		}
	}
	f := filepath.Join(t.TempDir(), "info.pdf")
	os.WriteFile(f, got, 0o600)
	info, err := exec.Command("pdfinfo", f).Output()
	if err != nil {
		t.Fatalf("pdfinfo cannot read the stored PDF: %v", err)
	}
	if want := regexp.MustCompile(`(?m)^Pages:\s+` + strconv.Itoa(pages) + `$`); !want.Match(info) {
		t.Errorf("pdfinfo:\n%s\nwant %q", info, want)
	}
}

// RC-5 for PDFs: a PDF with an author, software names, XMP, an attachment,
// a comment, a form field and an earlier revision (inside a compressed
// object stream) is shown with what it reveals, and is stored rebuilt
// from pictures of its pages with none of them.
func TestConfirmCleansPDFByDefault(t *testing.T) {
	needPoppler(t)
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		pdf := pdftest.Build(pdfMarkers)
		page, token := e.confirmStep1("memo.pdf", pdf)
		htmlWant(t, "confirmation page", page, "memo.pdf", "Author", pdfMarkers.Author, pdfMarkers.Incremental,
			"XMP metadata", pdfMarkers.Comment, "Comments and markings", "Form fields", "MARKERATTACHMENT.txt",
			"Earlier revisions", "Pages", `value="strip" checked`,
			"The cleaned copy is a picture of each page", "cannot be selected or searched", `aria-describedby="file-0-strip-note"`)
		htmlWantNot(t, "confirmation page", page, "Remove this file from the report")
		for what, b := range map[string][]byte{"database": e.storedBytes(), "blobs": e.blobBytes(), "logs": e.logs.Bytes()} {
			if bytes.Contains(b, []byte("MARKER")) {
				t.Errorf("a marker is in the %s before sending", what)
			}
		}
		status, body := e.confirmStep2(map[string]string{"draft": token})
		if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
			t.Fatalf("step 2: %d\n%s", status, body)
		}
		if n, blobs := e.countStored(); n != 1 || blobs != 1 {
			t.Errorf("after sending: %d reports, %d blobs; want 1 and 1", n, blobs)
		}
		f, got := e.staffFile()
		if f["metadata"] != "stripped" || f["name"] != "memo.pdf" {
			t.Errorf("file entry = %v", f)
		}
		assertCleanPDF(t, got, 2)
		if bytes.Contains(e.logs.Bytes(), []byte("MARKER")) {
			t.Error("a marker is in the logs")
		}
	})
}

func TestConfirmKeepOriginalPDFKeepsTheBytes(t *testing.T) {
	needPoppler(t)
	e := newAPIEnv(t, store.SQLite)
	pdf := pdftest.Build(pdfMarkers)
	_, token := e.confirmStep1("memo.pdf", pdf)
	status, body := e.confirmStep2(map[string]string{"draft": token, "file-0": "keep"})
	if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
		t.Fatalf("step 2: %d\n%s", status, body)
	}
	f, got := e.staffFile()
	if !bytes.Equal(got, pdf) || f["metadata"] != "original_kept" {
		t.Errorf("kept file: identical=%v, metadata=%v", bytes.Equal(got, pdf), f["metadata"])
	}
}

// A PDF longer than the intake limit is not cleaned while the
// whistleblower waits: they are told why and choose between removing it
// (the default) and keeping it.
func TestConfirmPDFOverThePageLimitOffersRemoveOrKeep(t *testing.T) {
	needPoppler(t)
	e := newAPIEnv(t, store.SQLite, withPDF(intake.PDFConfig{MaxPages: 2}))
	d := pdfMarkers
	d.Pages = 3
	page, token := e.confirmStep1("long.pdf", pdftest.Build(d))
	htmlWant(t, "confirmation page", page, "This PDF has 3 pages. Only PDFs of up to 2 pages can be cleaned",
		`value="remove" checked`, "Keep it as it is", pdfMarkers.Author)
	htmlWantNot(t, "confirmation page", page, `value="strip"`)
	// A forged "strip" for it changes nothing: the page comes back.
	if status, body := e.confirmStep2(map[string]string{"draft": token, "file-0": "strip"}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `value="remove" checked`) {
		t.Fatalf("forged strip: %d", status)
	}
	if n, _ := e.countStored(); n != 0 {
		t.Fatalf("%d reports after a refused confirmation", n)
	}
	status, body := e.confirmStep2(map[string]string{"draft": token})
	if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
		t.Fatalf("step 2: %d\n%s", status, body)
	}
	if n, blobs := e.countStored(); n != 1 || blobs != 0 {
		t.Errorf("%d reports, %d blobs; want the report without the file", n, blobs)
	}
}

// Without poppler (here: switched off) PDFs are handled as before the
// cleaner existed: shown, not cleaned, the whistleblower told and choosing.
func TestConfirmPDFWithoutRendererIsShownNotCleaned(t *testing.T) {
	e := newAPIEnv(t, store.SQLite, withPDF(intake.PDFConfig{Off: true}))
	page, token := e.confirmStep1("memo.pdf", pdftest.Build(pdfMarkers))
	htmlWant(t, "confirmation page", page, pdfMarkers.Author, "This server cannot clean PDF files at the moment",
		`value="remove" checked`, "Keep it as it is")
	htmlWantNot(t, "confirmation page", page, `value="strip"`, "picture of each page")
	status, _ := e.confirmStep2(map[string]string{"draft": token, "file-0": "keep"})
	if status != http.StatusOK {
		t.Fatalf("step 2: %d", status)
	}
	if f, _ := e.staffFile(); f["metadata"] != "original_kept" {
		t.Errorf("file entry = %v", f)
	}
}

func TestAPICleansPDFByDefault(t *testing.T) {
	needPoppler(t)
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.submitOK(minimalAnswers("x"), upload{Name: "memo.pdf", Type: "application/pdf", Body: bytes.NewReader(pdftest.Build(pdfMarkers))})
		f, got := e.staffFile()
		if f["metadata"] != "stripped" || f["name"] != "memo.pdf" {
			t.Errorf("file entry = %v", f)
		}
		assertCleanPDF(t, got, 2)
		if _, blobs := e.countStored(); blobs != 1 {
			t.Errorf("%d blobs, want 1 (the original is deleted)", blobs)
		}
	})
}

func TestAPIKeepsPDFOnlyWhenAsked(t *testing.T) {
	needPoppler(t)
	e := newAPIEnv(t, store.SQLite)
	pdf := pdftest.Build(pdfMarkers)
	b, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel, "answers": minimalAnswers("x"), "metadata": "keep"})
	ctype, buf := multipartBody(string(b), upload{Field: "file", Name: "memo.pdf", Type: "application/pdf", Body: bytes.NewReader(pdf)})
	resp, err := http.Post(e.public.URL+"/api/v1/reports", ctype, buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("keep: %d", resp.StatusCode)
	}
	f, got := e.staffFile()
	if !bytes.Equal(got, pdf) || f["metadata"] != "original_kept" {
		t.Errorf("kept file: identical=%v, metadata=%v", bytes.Equal(got, pdf), f["metadata"])
	}
}

// Over the page limit the API refuses the report (nothing stored) unless
// the client keeps the original, as for any file that cannot be cleaned.
func TestAPIPDFOverThePageLimitIsRefusedUnlessKept(t *testing.T) {
	needPoppler(t)
	e := newAPIEnv(t, store.SQLite, withPDF(intake.PDFConfig{MaxPages: 1}))
	status, body := e.submit(minimalAnswers("x"), upload{Name: "memo.pdf", Type: "application/pdf", Body: bytes.NewReader(pdftest.Build(pdfMarkers))})
	var er struct{ Error struct{ Code string } }
	json.Unmarshal(body, &er)
	if status != http.StatusUnprocessableEntity || er.Error.Code != "cannot_strip" {
		t.Fatalf("over the limit: %d %s", status, body)
	}
	if reports, blobs := e.countStored(); reports != 0 || blobs != 0 {
		t.Fatalf("a refused report left %d reports, %d blobs", reports, blobs)
	}
}
