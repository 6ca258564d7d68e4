package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/detect"
)

// validFnr returns a valid Norwegian fødselsnummer for ddmmyy.
func validFnr(t *testing.T, ddmmyy string) string {
	t.Helper()
	for ind := 100; ind < 1000; ind++ {
		for k := range 100 {
			if d := fmt.Sprintf("%s%03d%02d", ddmmyy, ind, k); detect.FnrCheck(d) == "classic" {
				return d
			}
		}
	}
	t.Fatal("no fødselsnummer")
	return ""
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanCommand(t *testing.T) {
	dir := t.TempDir()
	id := validFnr(t, "010190")
	text := "Klager Kari Nordmann, fnr. " + id + ", e-post kari@example.no, er 42 år gammel.\n"
	in := writeFile(t, dir, "case.txt", text)
	persons := writeFile(t, dir, "persons.txt", "# parties\nKari Nordmann; Kari N.\n")

	code, stdout, stderr := runCLI(t, "", "scan", in, "--persons", persons)
	if code != 0 {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	var out scanOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	types := map[string]bool{}
	for _, f := range out.Findings {
		types[f.Type] = true
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End || f.Rule == "" || f.Text != nil {
			t.Errorf("finding %+v", f)
		}
	}
	for _, want := range []string{detect.TypePerson, detect.TypeNOFnr, detect.TypeEmail, "AGE"} {
		if !types[want] {
			t.Errorf("no %s finding in %s", want, stdout)
		}
	}
	for _, leak := range []string{id, "Nordmann", "example.no", "42 år"} {
		if strings.Contains(stdout, leak) {
			t.Errorf("scan output shows %q without --show-text", leak)
		}
	}
	if out.Bytes != len(text) || out.File != in {
		t.Errorf("header %+v", out)
	}

	code, stdout, _ = runCLI(t, "", "scan", "--show-text", in)
	if code != 0 || !strings.Contains(stdout, `"text": "`+id+`"`) {
		t.Errorf("--show-text: %d %s", code, stdout)
	}

	// empty findings are an empty list, not null
	empty := writeFile(t, dir, "empty.txt", "nothing here\n")
	code, stdout, _ = runCLI(t, "", "scan", empty)
	if code != 0 || !strings.Contains(stdout, `"findings": []`) {
		t.Errorf("empty: %d %s", code, stdout)
	}
}

func TestScanRejectsBinary(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"a.doc", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00", "old binary office"},
		{"a.rtf", "{\\rtf1 hello}", "RTF"},
		{"a.bin", "abc\x00def", "NUL"},
		{"a.latin1", "K\xf8benhavn", "UTF-8"},
		{"a.utf16", "\xff\xfeK\x00", "UTF-16"},
	} {
		p := writeFile(t, dir, tc.name, tc.content)
		code, stdout, stderr := runCLI(t, "", "scan", p)
		if code != exitError || stdout != "" || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "plain text") {
			t.Errorf("%s: code %d, stderr %q", tc.name, code, stderr)
		}
		out := filepath.Join(dir, tc.name+".out")
		code, _, stderr = runCLI(t, "", "redact", "--in", p, "--out", out)
		if code != exitError || !strings.Contains(stderr, "PDF, images (PNG, JPEG) and office files") {
			t.Errorf("redact %s: code %d, stderr %q", tc.name, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("redact %s wrote an output", tc.name)
		}
	}
	if code, _, stderr := runCLI(t, "", "scan"); code != exitUsage || !strings.Contains(stderr, "FILE") {
		t.Errorf("scan without file: %d %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "scan", filepath.Join(dir, "missing.txt")); code != exitError {
		t.Errorf("missing file: %d", code)
	}
}

func TestRedactCommand(t *testing.T) {
	dir := t.TempDir()
	id := validFnr(t, "010190")
	text := "Klager Kari Nordmann (fnr. " + id + ") er 42 år gammel og bor i Tromsø.\n" +
		"Svar sendes til K. Nordmann, kari.nordmann@example.no.\n"
	in := writeFile(t, dir, "case.txt", text)
	persons := writeFile(t, dir, "persons.txt", "Kari Nordmann; Kari Hansen\n")
	regions := writeFile(t, dir, "regions.txt", "Tromsø; Nord-Norge\n")
	lists := filepath.Join(dir, "lists")
	if err := os.Mkdir(lists, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, lists, "places.txt", "Tromsø\n")
	out := filepath.Join(dir, "out", "case.redacted.txt")
	if err := os.Mkdir(filepath.Dir(out), 0o700); err != nil {
		t.Fatal(err)
	}

	// Remove mode (the default)
	code, stdout, stderr := runCLI(t, "", "redact", "--in", in, "--out", out, "--persons", persons, "--lists", lists)
	if code != 0 {
		t.Fatalf("redact: %d %s", code, stderr)
	}
	got := readFile(t, out)
	want := "Klager […] (fnr. […]) er […] og bor i […].\nSvar sendes til […], […].\n"
	if got != want {
		t.Errorf("remove mode:\ngot  %q\nwant %q", got, want)
	}
	if strings.Contains(stdout+stderr, "Nordmann") || strings.Contains(stdout+stderr, id) || !strings.Contains(stdout, "replacements") {
		t.Errorf("summary %q %q", stdout, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v %v", fi.Mode(), err)
	}
	if readFile(t, in) != text {
		t.Error("input changed")
	}

	// Label mode with generalisation, Norwegian labels; replaces the output
	code, _, stderr = runCLI(t, "", "redact", "--in", in, "--out", out, "--persons", persons, "--lists", lists,
		"--regions", regions, "--categories", "--lang", "nb")
	if code != 0 {
		t.Fatalf("redact --categories: %d %s", code, stderr)
	}
	got = readFile(t, out)
	want = "Klager [person 1  ] (fnr. [fødselsnummer 1  ]) er [alder 40-49] og bor i [sted i Nord-Norge].\n" +
		"Svar sendes til [person 1  ], [e-post 1  ].\n"
	if got != want {
		t.Errorf("categories:\ngot  %q\nwant %q", got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRedactRefusals(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "case.txt", "Klager Kari Nordmann.\n")
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.txt")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", in, "--out", in}, exitUsage, "must not be the input"},
		{[]string{"--in", in, "--out", filepath.Join(dir, ".", "case.txt")}, exitUsage, "must not be the input"},
		{[]string{"--in", rel, "--out", in}, exitUsage, "must not be the input"},
		{[]string{"--in", in, "--out", link}, exitUsage, "must not be the input"},
		{[]string{"--in", in, "--out", hard}, exitUsage, "must not be the input"},
		{[]string{"--in", in, "--out", dir}, exitUsage, "directory"},
		{[]string{"--in", in}, exitUsage, "required"},
		{[]string{"--in", in, "--out", filepath.Join(dir, "o.txt"), "--lang", "sv"}, exitUsage, "--lang"},
		{[]string{"--in", in, "--out", filepath.Join(dir, "o.txt"), "--regions", in}, exitUsage, "--categories"},
		{[]string{"--in", in, "--out", filepath.Join(dir, "o.txt"), "extra"}, exitUsage, "unexpected"},
		{[]string{"--in", filepath.Join(dir, "missing"), "--out", filepath.Join(dir, "o.txt")}, exitError, "missing"},
		{[]string{"--in", in, "--out", filepath.Join(dir, "nodir", "o.txt")}, exitError, "nodir"},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"redact"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: code %d, stderr %q", tc.args, code, stderr)
		}
	}
	if readFile(t, in) != "Klager Kari Nordmann.\n" {
		t.Error("input changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "o.txt")); err == nil {
		t.Error("output written despite an error")
	}
}
