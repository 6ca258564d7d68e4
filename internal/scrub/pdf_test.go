package scrub

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/pdftest"
)

func dirtyPDF(compressed bool) []byte {
	return pdftest.Build(pdftest.Dirty{Pages: 2, Text: "Visible", Author: "Kari Nordmann", Creator: "Writer 7.2",
		Producer: "LibreOffice 24.2", XMPCreator: "Kari N.", Attachment: "lonnsliste", Comment: "ask Per about this",
		CommentBy: "kari", FormValue: "12345678901", Compressed: compressed, Incremental: "Ola Nordmann"})
}

func fieldValues(rep Report, name string) []string {
	var out []string
	for _, f := range rep.Fields {
		if f.Name == name {
			out = append(out, f.Value)
		}
	}
	return out
}

// What a PDF reveals is found whether its objects are plain or inside a
// compressed object stream (PDF 1.5+, where a byte search sees nothing).
func TestInspectPDFListsEverythingThatGivesAWhistleblowerAway(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		name := map[bool]string{false: "plain objects", true: "object stream"}[compressed]
		t.Run(name, func(t *testing.T) {
			pdf := dirtyPDF(compressed)
			if compressed && bytes.Contains(pdf, []byte("Kari Nordmann")) {
				t.Fatal("fixture: the author is not compressed")
			}
			rep := inspectBytes(t, pdf, KindPDF)
			for _, want := range []struct{ field, value string }{
				{FieldAuthor, "Kari Nordmann"}, // the first version's author, kept by the incremental update
				{FieldAuthor, "Ola Nordmann"},
				{FieldAuthor, "Kari N."}, // XMP
				{FieldSoftware, "Writer 7.2"},
				{FieldSoftware, "LibreOffice 24.2"},
				{FieldComment, "ask Per about this"},
				{FieldEmbedded, "lonnsliste.txt"},
				{FieldXMP, "present"},
				{FieldAnnotations, "1"},
				{FieldFormFields, "1"},
			} {
				got := fieldValues(rep, want.field)
				found := false
				for _, g := range got {
					found = found || g == want.value
				}
				if !found {
					t.Errorf("%s: got %q, want %q among them", want.field, got, want.value)
				}
			}
			if !rep.Has(FieldRevisions) {
				t.Errorf("the incremental update is not reported: %+v", rep.Fields)
			}
		})
	}
}

func TestInspectPDFSeesJavaScriptAndEncryption(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n")
	rep := inspectBytes(t, pdf, KindPDF)
	if !rep.Has(FieldJavaScript) || !rep.Has(FieldEncrypted) {
		t.Errorf("fields = %+v", rep.Fields)
	}
}

// A signature's /Contents is a long binary hex string, not a comment; a
// page's /Contents is a reference.
func TestInspectPDFDoesNotShowSignaturesOrPageContentsAsComments(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Sig /Contents <3082" + strings.Repeat("00ff", 200) + "> >> endobj\n2 0 obj << /Type /Page /Contents 3 0 R >> endobj\n%%EOF\n")
	rep := inspectBytes(t, pdf, KindPDF)
	if rep.Has(FieldComment) {
		t.Errorf("fields = %+v", rep.Fields)
	}
}

// Inflating is bounded: a stream that inflates to more than the budget is
// read only up to it, and a damaged stream is no error.
func TestInspectPDFBoundsInflation(t *testing.T) {
	big := bytes.Repeat([]byte("/Author (x) "), (pdfMaxStream/12)+1000)
	var pdf bytes.Buffer
	pdf.WriteString("%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n")
	pdf.Write(deflateForTest(big))
	pdf.WriteString("\nendstream\nendobj\n2 0 obj\n<< /Filter /FlateDecode >>\nstream\nnot zlib at all\nendstream\nendobj\n%%EOF\n")
	p := &pdfInspect{rep: &Report{}, r: bytes.NewReader(pdf.Bytes()), size: int64(pdf.Len()), budget: pdfMaxInflated}
	if err := inspectPDF(p.rep, p.r, p.size); err != nil {
		t.Fatal(err)
	}
	if !p.rep.Has(FieldAuthor) {
		t.Errorf("the compressed author is not found: %+v", p.rep.Fields)
	}
	if len(p.rep.Fields) > 500 {
		t.Errorf("%d fields", len(p.rep.Fields))
	}
}

func FuzzInspectPDF(f *testing.F) {
	f.Add(dirtyPDF(false))
	f.Add(dirtyPDF(true))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Author (a\\) /Contents <FEFF0041 >> endobj\nstream\r\nx"))
	f.Add([]byte("%PDF-1.5\n1 0 obj << /Filter /FlateDecode >>\nstream\n\x78\x9c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Inspect(bytes.NewReader(b), int64(len(b)), KindPDF)
		if err != nil {
			t.Fatalf("Inspect failed on a PDF: %v", err)
		}
		if len(rep.Fields) > 500 {
			t.Fatalf("%d fields", len(rep.Fields))
		}
	})
}

func deflateForTest(p []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(p)
	zw.Close()
	return out.Bytes()
}
