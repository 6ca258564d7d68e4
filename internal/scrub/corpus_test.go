package scrub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is ../shared/corpus/metadata relative to the repository root.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", "metadata"))
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not present at %s", dir)
	}
	return dir
}

func needExiftool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("exiftool")
	if err != nil {
		if os.Getenv("VARSEL_REQUIRE_EXIFTOOL") == "1" {
			t.Fatal("exiftool not installed (apt-get install libimage-exiftool-perl)")
		}
		t.Skip("exiftool not installed")
	}
	return p
}

// forbidden reports the exiftool tags (group:name) that must not survive.
func forbidden(tag string) bool {
	name := tag[strings.LastIndex(tag, ":")+1:]
	switch name {
	case "Author", "Creator", "LastModifiedBy", "Comment", "ThumbnailImage", "Software",
		"Make", "Model", "SerialNumber", "Artist", "InitialCreator", "CreatorTool", "Producer",
		"PreviewImage", "Company", "Manager", "OwnerName", "UserComment", "Copyright":
		return true
	}
	return strings.HasPrefix(name, "GPS") || strings.HasSuffix(name, "SerialNumber")
}

// exifLeft runs exiftool and returns the forbidden tags it finds.
func exifLeft(t *testing.T, exiftool, file string) []string {
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
		if forbidden(k) && fmt.Sprint(v) != "" {
			left = append(left, k)
		}
	}
	sort.Strings(left)
	return left
}

// TestCorpusStrip runs every supported corpus file through Strip and checks
// with exiftool that nothing telling is left; with mat2 installed it logs
// what mat2 leaves on the same files.
func TestCorpusStrip(t *testing.T) {
	dir := corpusDir(t)
	exiftool := needExiftool(t)
	mat2, _ := exec.LookPath("mat2")
	var files []string
	for _, sub := range []string{"mat2", "exiftool"} {
		es, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range es {
			if e.Type().IsRegular() && e.Name() != "LICENSE" {
				files = append(files, filepath.Join(dir, sub, e.Name()))
			}
		}
	}
	tmp := t.TempDir()
	var table strings.Builder
	fmt.Fprintf(&table, "\n| file | kind | before | left by Varsel | left by mat2 |\n|---|---|---|---|---|\n")
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		kind := Detect(bytes.NewReader(b), int64(len(b)))
		before := exifLeft(t, exiftool, path)
		ours := "unsupported"
		if kind.Strippable() {
			var out bytes.Buffer
			res, err := Strip(&out, bytes.NewReader(b), int64(len(b)), kind)
			if err != nil {
				ours = "refused: " + err.Error()
				t.Logf("%s (%s): %v", rel, kind, err)
			} else {
				of := filepath.Join(tmp, "ours-"+strings.ReplaceAll(rel, "/", "-")+res.Kind.Ext())
				if err := os.WriteFile(of, out.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				left := exifLeft(t, exiftool, of)
				if len(left) > 0 {
					t.Errorf("%s: exiftool still finds %v", rel, left)
				}
				ours = strings.Join(left, " ")
				if ours == "" {
					ours = "none"
				}
				if len(res.Warnings) > 0 {
					ours += " (warnings: " + strings.Join(res.Warnings, "; ") + ")"
				}
			}
		}
		theirs := "mat2 not installed"
		if mat2 != "" {
			cp := filepath.Join(tmp, "mat2-"+strings.ReplaceAll(rel, "/", "-"))
			os.WriteFile(cp, b, 0o600)
			if out, err := exec.Command(mat2, "--inplace", cp).CombinedOutput(); err != nil {
				theirs = "refused: " + strings.TrimSpace(firstLine(string(out)))
			} else {
				left := exifLeft(t, exiftool, cp)
				theirs = strings.Join(left, " ")
				if theirs == "" {
					theirs = "none"
				}
			}
		}
		fmt.Fprintf(&table, "| %s | %s | %s | %s | %s |\n", rel, kind, strings.Join(before, " "), ours, theirs)
	}
	t.Log(table.String())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestCorpusInspect checks that Inspect finds something in the files that
// are known to carry metadata, and never fails on a supported kind.
func TestCorpusInspect(t *testing.T) {
	dir := corpusDir(t)
	for _, name := range []string{"mat2/dirty.jpg", "mat2/dirty.docx", "mat2/dirty.odt", "mat2/revision.docx", "mat2/comment.docx", "exiftool/GPS.jpg", "exiftool/ExifTool.jpg", "mat2/dirty.pdf"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		kind := Detect(bytes.NewReader(b), int64(len(b)))
		rep, err := Inspect(bytes.NewReader(b), int64(len(b)), kind)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(rep.Fields) == 0 {
			t.Errorf("%s (%s): Inspect found nothing", name, kind)
		}
		t.Logf("%s (%s): %v", name, kind, rep.Fields)
	}
}
