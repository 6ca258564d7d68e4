package docredact

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/detect"
)

// A tiny PDF builder for tests: pages with Helvetica text and whatever
// tricks a test adds (objects, catalog and page entries, trailer entries,
// incremental updates). Object 1 is the catalog, 2 the page tree, 3 the
// font, then a page and its content per page, then extra objects.
type testPDF struct {
	pages        []string // content stream per page
	pageExtra    string   // added to every page dictionary
	catalogExtra string
	trailerExtra string
	mediaBox     string
	extra        []string // bodies of objects numbered from firstExtra()
	compress     bool
}

func (p *testPDF) firstExtra() int { return 4 + 2*len(p.pages) }

// addObj adds an object and returns its number.
func (p *testPDF) addObj(body string) int {
	p.extra = append(p.extra, body)
	return p.firstExtra() + len(p.extra) - 1
}

func streamObj(dict string, data []byte) string {
	return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

func zlibBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func (p *testPDF) bytes() []byte {
	var buf bytes.Buffer
	var offs []int
	obj := func(body string) {
		offs = append(offs, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	buf.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	mb := p.mediaBox
	if mb == "" {
		mb = "[0 0 612 792]"
	}
	var kids []string
	for i := range p.pages {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	obj(fmt.Sprintf("<</Type /Catalog /Pages 2 0 R %s>>", p.catalogExtra))
	obj(fmt.Sprintf("<</Type /Pages /Kids [%s] /Count %d>>", strings.Join(kids, " "), len(p.pages)))
	obj("<</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding>>")
	for i, c := range p.pages {
		obj(fmt.Sprintf("<</Type /Page /Parent 2 0 R /MediaBox %s /Resources <</Font <</F1 3 0 R>>>> /Contents %d 0 R %s>>", mb, 5+2*i, p.pageExtra))
		if p.compress {
			obj(streamObj(" /Filter /FlateDecode", zlibBytes([]byte(c))))
		} else {
			obj(streamObj("", []byte(c)))
		}
	}
	for _, e := range p.extra {
		obj(e)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<</Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, p.trailerExtra, xref)
	return buf.Bytes()
}

// incrementalUpdate appends a revision to base that replaces object num
// with body, the way an editor saves "redactions" without rewriting the
// file: the old object stays in the file.
func incrementalUpdate(base []byte, size, num int, body string) []byte {
	prev := bytes.LastIndex(base, []byte("startxref\n"))
	var prevOff int
	fmt.Sscanf(string(base[prev+len("startxref\n"):]), "%d", &prevOff)
	var buf bytes.Buffer
	buf.Write(base)
	off := buf.Len()
	fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", num, body)
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n", num, off)
	fmt.Fprintf(&buf, "trailer\n<</Size %d /Root 1 0 R /Prev %d>>\nstartxref\n%d\n%%%%EOF\n", size, prevOff, xref)
	return buf.Bytes()
}

// textLine is a content-stream snippet showing s at (x, y) in 14 pt.
func textLine(x, y int, s string) string {
	return fmt.Sprintf("BT /F1 14 Tf %d %d Td (%s) Tj ET\n", x, y, s)
}

// Test values: a valid Norwegian fødselsnummer, a case person and an
// e-mail address.
const (
	testFnr    = "02013299997"
	testName   = "Kari Nordmann"
	testEmail  = "kari.nordmann@example.no"
	testFnrFmt = "020132 99997"
)

var testPersons = []detect.Person{{Name: testName}}

// requireTools skips the test when one of tools is missing, or fails it
// when VARSEL_REQUIRE_REDACT_TOOLS=1 (CI, where a missing tool is a broken
// machine).
func requireTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, name := range tools {
		if !HaveTool(name) {
			if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
				t.Fatalf("%s is not installed (Debian package %s) and VARSEL_REQUIRE_REDACT_TOOLS=1", name, toolPackages[name])
			}
			t.Skipf("%s is not installed (Debian package %s)", name, toolPackages[name])
		}
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// allAreas collects the areas of every finding.
func allAreas(a *Analysis) []Area {
	var out []Area
	for _, f := range a.Findings {
		out = append(out, f.Areas...)
	}
	return out
}

// gateErr returns the *GateError in err, or fails.
func gateErr(t testing.TB, err error) *GateError {
	t.Helper()
	var ge *GateError
	if !errors.As(err, &ge) {
		t.Fatalf("want a *GateError, got %v", err)
	}
	return ge
}
