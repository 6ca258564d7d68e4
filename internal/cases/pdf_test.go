package cases

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
)

// unicodeSample holds text from the languages a report may come in: Sami
// (Northern), Polish, Czech, Greek, Cyrillic and the Nordic letters.
var unicodeSample = []string{
	"Sámi: ŋ ŧ đ č š ž Ŋ Ŧ Đ Č Š Ž á",
	"Polski: zażółć gęślą jaźń ŁÓDŹ",
	"Čeština: příliš žluťoučký kůň úpěl ďábelské ódy",
	"Ελληνικά: Καλημέρα κόσμε",
	"Русский: Съешь же ещё этих мягких булок",
	"Українська: ґанок їжак є",
	"Dansk/norsk: æ ø å Æ Ø Å § €",
}

func samplePDF(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	v := DisclosureView{CaseNumber: 7, State: store.DisclosureFinal, Recipient: "Økokrim – Ελληνική Αρχή",
		LegalBasis: "Whistleblowerloven § 26", Date: "2026-03-31", CreatedAt: at, FinalisedAt: &at,
		Text: strings.Join(unicodeSample, "\n")}
	pdf, err := disclosurePDF(v, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func TestPDFPrintsPolishCzechGreekCyrillicAndSamiLetters(t *testing.T) {
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	path := filepath.Join(t.TempDir(), "note.pdf")
	if err := os.WriteFile(path, samplePDF(t), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, line := range append(unicodeSample, "Økokrim – Ελληνική Αρχή") {
		// pdftotext may break or respace long lines; compare word by word.
		for _, w := range strings.Fields(line) {
			if !strings.Contains(text, w) {
				t.Errorf("the PDF text lacks %q\n--- extracted:\n%s", w, text)
			}
		}
	}
}

func TestPDFEmbedsTheUnicodeFontAndNoCoreFont(t *testing.T) {
	pdf := samplePDF(t)
	if !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Error("no embedded TrueType font program")
	}
	if bytes.Contains(pdf, []byte("/Helvetica")) {
		t.Error("the PDF still uses a core (cp1252) font")
	}
	tool, err := exec.LookPath("pdffonts")
	if err != nil {
		return
	}
	path := filepath.Join(t.TempDir(), "note.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, path).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	if !strings.Contains(string(out), "Identity-H") || !strings.Contains(string(out), "yes") {
		t.Errorf("fonts are not embedded Unicode (Identity-H) subsets:\n%s", out)
	}
}

func TestPDFIsDeterministicAndCarriesNoPersonalMetadata(t *testing.T) {
	a, b := samplePDF(t), samplePDF(t)
	if !bytes.Equal(a, b) {
		t.Fatal("the same content gave different PDF bytes")
	}
	if !bytes.Contains(a, []byte("D:20260331120000")) {
		t.Error("the creation date is not the time of the content")
	}
	for _, k := range []string{"/Author", "/Subject", "/Keywords"} {
		if bytes.Contains(a, []byte(k)) {
			t.Errorf("the PDF carries %s", k)
		}
	}
}

func TestPDFTextFallsBackToBaseLettersForMissingGlyphs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Sámi ŋ ŧ đ", "Sámi ŋ ŧ đ"},
		{"Skolt ǧ ǩ ǯ", "Skolt g k ʒ"},
		{"a\tb", "a    b"},
		{"line\r\nnext", "line\nnext"},
		{"soft\u00adhyphen\u200b", "softhyphen"},
		{"emoji 🙂", "emoji ?"},
		{"decomposed e\u0301", "decomposed é"},
	} {
		got := pdfText(tc.in)
		if tc.in == "Skolt ǧ ǩ ǯ" && pdfHasGlyph('ʒ') == false {
			tc.want = "Skolt g k ?"
		}
		if got != tc.want {
			t.Errorf("pdfText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
