package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// onePagePDF is a PDF with the given lines in Helvetica.
func onePagePDF(lines ...string) []byte {
	var content strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&content, "BT /F1 14 Tf 72 %d Td (%s) Tj ET\n", 700-40*i, l)
	}
	objs := []string{
		"<</Type /Catalog /Pages 2 0 R>>",
		"<</Type /Pages /Kids [3 0 R] /Count 1>>",
		"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources <</Font <</F1 5 0 R>>>> /Contents 4 0 R>>",
		fmt.Sprintf("<</Length %d>>\nstream\n%s\nendstream", content.Len(), content.String()),
		"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

func needTools(t *testing.T, tools ...string) {
	for _, name := range tools {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
				t.Fatalf("%s missing and VARSEL_REQUIRE_REDACT_TOOLS=1", name)
			}
			t.Skipf("%s is not installed", name)
		}
	}
}

func TestScanAndRedactPDFThroughTheReleaseGate(t *testing.T) {
	needTools(t, "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	dir := t.TempDir()
	fnr := validFnr(t, "010190")
	in := filepath.Join(dir, "klage.pdf")
	if err := os.WriteFile(in, onePagePDF("Klager: Kari Nordmann", "Fnr. "+fnr, "Saken gjelder arbeidsmiljoet."), 0o600); err != nil {
		t.Fatal(err)
	}
	persons := writeFile(t, dir, "persons.txt", "Kari Nordmann\n")

	code, stdout, stderr := runCLI(t, "", "scan", "--persons", persons, in)
	if code != 0 {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	var out docScanOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("scan output: %v\n%s", err, stdout)
	}
	if out.Format != "application/pdf" || out.Pages != 1 || len(out.PageFindings) != 1 || len(out.PageFindings[0].Findings) < 2 {
		t.Fatalf("scan output %+v", out)
	}
	if strings.Contains(stdout, "Nordmann") || strings.Contains(stdout, fnr) {
		t.Error("scan printed values without --show-text")
	}

	o := filepath.Join(dir, "klage-anonym.pdf")
	code, stdout, stderr = runCLI(t, "", "redact", "--in", in, "--out", o, "--persons", persons, "--area", "1:0.1,0.8,0.2,0.05")
	if code != 0 {
		t.Fatalf("redact: %d %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "release gate passed") {
		t.Errorf("redact output %q", stdout)
	}
	b, err := os.ReadFile(o)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || bytes.Contains(b, []byte("Nordmann")) {
		t.Fatalf("output: %v", err)
	}
	for _, bad := range []string{"0:0.1,0.1,0.1,0.1", "1:0.9,0.1,0.2,0.1", "1:x", "1:0.1,0.1"} {
		code, _, stderr := runCLI(t, "", "redact", "--in", in, "--out", filepath.Join(dir, "x.pdf"), "--area", bad)
		if code != exitUsage || !strings.Contains(stderr, "--area") {
			t.Errorf("--area %s: %d %q", bad, code, stderr)
		}
	}
	txt := writeFile(t, dir, "a.txt", "hei\n")
	if code, _, stderr := runCLI(t, "", "redact", "--in", txt, "--out", filepath.Join(dir, "b.txt"), "--area", "1:0.1,0.1,0.1,0.1"); code != exitUsage {
		t.Errorf("--area on text: %d %q", code, stderr)
	}
}
