package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/pdftest"
	"github.com/varsel/varsel/internal/scrub"
)

func needPoppler(t *testing.T) {
	t.Helper()
	if err := docredact.CleanAvailable(); err != nil {
		if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
			t.Fatalf("VARSEL_REQUIRE_REDACT_TOOLS=1: %v", err)
		}
		t.Skipf("PDFs are not cleaned here: %v", err)
	}
}

// The cleaned copy holds pictures only: nothing Inspect lists, no text a
// reader could select, and its work files are gone afterwards.
func TestCleanedPDFIsPicturesOnlyAndLeavesNoWorkFiles(t *testing.T) {
	needPoppler(t)
	dir := t.TempDir()
	p := newPDFCleaner(PDFConfig{WorkDir: dir}, slog.Default())
	in := pdftest.Build(pdftest.Dirty{Pages: 2, Text: "Selectable words", Author: "Kari Nordmann", Creator: "Writer",
		XMPCreator: "Kari", Attachment: "secret", Comment: "a comment", FormValue: "12345678901", Compressed: true})
	out, err := p.cleanBytes(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scrub.Inspect(bytes.NewReader(out), int64(len(out)), scrub.KindPDF)
	if err != nil || len(rep.Fields) != 0 {
		t.Errorf("the cleaned PDF reveals %+v (%v)", rep.Fields, err)
	}
	f := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(f, out, 0o600)
	text, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil || strings.TrimSpace(string(text)) != "" {
		t.Errorf("the cleaned PDF has text %q (%v)", text, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("work files left behind: %v", ents)
	}
}

func TestPDFWorkDirIsInMemoryWhenTheSystemHasOne(t *testing.T) {
	p := newPDFCleaner(PDFConfig{}, slog.Default())
	got := p.workDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if got != "/dev/shm" {
			t.Errorf("work dir %q, want /dev/shm", got)
		}
	} else if got != "" {
		t.Errorf("work dir %q without /dev/shm", got)
	}
}

// Without poppler, PDFs are shown and not cleaned, and the log says so
// once, without naming any file or person.
func TestMissingRendererIsLoggedOnce(t *testing.T) {
	old := cleanAvailable
	t.Cleanup(func() { cleanAvailable = old })
	cleanAvailable = func() error { return fmt.Errorf("%w: pdftoppm", docredact.ErrToolMissing) }
	var logs bytes.Buffer
	p := newPDFCleaner(PDFConfig{}, slog.New(slog.NewJSONHandler(&logs, nil)))
	for range 3 {
		var c FileCheck
		if err := p.checkPDF(context.Background(), nil, &c, scrub.Report{}); err != nil {
			t.Fatal(err)
		}
		if c.Cleanable || c.Problem != ProblemPDFUnavailable || c.Reveals() {
			t.Errorf("check = %+v", c)
		}
	}
	if n := strings.Count(logs.String(), "poppler-utils is not installed"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
}

func TestPDFProblemsAndDefaults(t *testing.T) {
	for _, tc := range []struct {
		check     FileCheck
		reveals   bool
		def       string
		removable bool
	}{
		{FileCheck{Kind: scrub.KindPDF, Problem: ProblemPDFUnavailable}, false, ChoiceRemove, true},
		{FileCheck{Kind: scrub.KindPDF, Problem: ProblemPDFUnavailable, Fields: []scrub.Field{{Name: scrub.FieldAuthor}}}, true, ChoiceRemove, true},
		{FileCheck{Kind: scrub.KindPDF, Problem: ProblemTooManyPages, Pages: 300, MaxPages: 100}, true, ChoiceRemove, true},
		{FileCheck{Kind: scrub.KindPDF, Cleanable: true, Fields: []scrub.Field{{Name: scrub.FieldPages, Value: "3"}}}, true, ChoiceStrip, false},
	} {
		if got := tc.check.Reveals(); got != tc.reveals {
			t.Errorf("%+v: Reveals = %v", tc.check, got)
		}
		if got := tc.check.Default(); got != tc.def {
			t.Errorf("%+v: Default = %s", tc.check, got)
		}
	}
	if got := fieldNames([]scrub.Field{{Name: scrub.FieldAuthor}, {Name: scrub.FieldPages}}); len(got) != 1 {
		t.Errorf("the page count is recorded as removed: %v", got)
	}
}

// A file beyond the page limit is refused before anything is rendered.
func TestCleanRefusesMorePagesThanTheLimit(t *testing.T) {
	needPoppler(t)
	p := newPDFCleaner(PDFConfig{MaxPages: 2}, slog.Default())
	_, err := p.cleanBytes(context.Background(), pdftest.Build(pdftest.Dirty{Pages: 3, Text: "x"}))
	if !errorsIs(err, docredact.ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

// corpusDir is ../shared/corpus/metadata relative to the repository root.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", "metadata"))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not present at %s", dir)
	}
	return dir
}

// exifTags returns the exiftool tags (group:name) of a file that say who
// or what made it.
func exifTags(t *testing.T, exiftool, file string) []string {
	t.Helper()
	out, err := exec.Command(exiftool, "-j", "-a", "-G1", file).Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("exiftool %s: %v", file, err)
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		t.Fatalf("exiftool output: %v", err)
	}
	var left []string
	for k, v := range res[0] {
		group, name, _ := strings.Cut(k, ":")
		if fmt.Sprint(v) == "" {
			continue
		}
		switch {
		case strings.HasPrefix(group, "XMP"),
			name == "Author", name == "Creator", name == "Producer", name == "CreatorTool", name == "Title",
			name == "Subject", name == "Keywords", name == "CreateDate", name == "ModifyDate", name == "Artist",
			name == "Software", strings.HasPrefix(name, "GPS"), strings.Contains(name, "Comment"):
			left = append(left, k)
		}
	}
	sort.Strings(left)
	return left
}

// The corpus PDFs (from mat2's and ExifTool's test suites) go through the
// intake cleaner; exiftool must find no author, creator, producer, dates
// or XMP in the result. With mat2 installed, what it leaves on the same
// files is logged beside ours (docs/benchmarks.md).
func TestCorpusPDFsCleanedAtIntakeLeaveNothingForExiftool(t *testing.T) {
	dir := corpusDir(t)
	needPoppler(t)
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		if os.Getenv("VARSEL_REQUIRE_EXIFTOOL") == "1" {
			t.Fatal("exiftool not installed (apt-get install libimage-exiftool-perl)")
		}
		t.Skip("exiftool not installed")
	}
	mat2, _ := exec.LookPath("mat2")
	p := newPDFCleaner(PDFConfig{}, slog.Default())
	tmp := t.TempDir()
	var table strings.Builder
	table.WriteString("\n| file | pages | before | Varsel leaves | mat2 leaves | Varsel time |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, rel := range []string{"mat2/dirty.pdf", "exiftool/PDF.pdf", "exiftool/PDF2.pdf"} {
		path := filepath.Join(dir, rel)
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		before := exifTags(t, exiftool, path)
		n, err := p.tools.PDFPages(context.Background(), in, "")
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		start := time.Now()
		out, err := p.cleanBytes(context.Background(), in)
		took := time.Since(start)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		of := filepath.Join(tmp, strings.ReplaceAll(rel, "/", "-"))
		os.WriteFile(of, out, 0o600)
		ours := exifTags(t, exiftool, of)
		if len(ours) > 0 {
			t.Errorf("%s: exiftool still finds %v", rel, ours)
		}
		theirs := "mat2 not installed"
		if mat2 != "" {
			cp := filepath.Join(tmp, "mat2-"+strings.ReplaceAll(rel, "/", "-"))
			os.WriteFile(cp, in, 0o600)
			if out, err := exec.Command(mat2, "--inplace", cp).CombinedOutput(); err != nil {
				theirs = "refused: " + strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
			} else {
				theirs = strings.Join(exifTags(t, exiftool, cp), " ")
			}
		}
		fmt.Fprintf(&table, "| %s | %d | %s | %s | %s | %s |\n", rel, n, strings.Join(before, " "),
			orNone(strings.Join(ours, " ")), orNone(theirs), took.Round(10*time.Millisecond))
	}
	t.Log(table.String())
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
