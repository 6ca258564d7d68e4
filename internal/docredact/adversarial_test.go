package docredact

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// visible is what every adversarial page shows: nothing personal, so that
// whatever the gate finds in the input comes from the trick alone.
var visible = textLine(72, 700, "Saken gjelder arbeidsmiljoet ved avdelingen.")

// adversarialPDFs are PDFs that hide the values the way careless
// "redaction" does, each with the gate checks that must catch it in the
// unredacted file.
func adversarialPDFs() []struct {
	name  string
	data  []byte
	catch []string
} {
	secret := testName + " " + testFnr
	var out []struct {
		name  string
		data  []byte
		catch []string
	}
	add := func(name string, data []byte, catch ...string) {
		out = append(out, struct {
			name  string
			data  []byte
			catch []string
		}{name, data, catch})
	}

	add("text under a black box", (&testPDF{pages: []string{visible + textLine(72, 650, secret) + "0 g 66 640 300 26 re f\n"}}).bytes(), "text")
	add("white text", (&testPDF{pages: []string{visible + "1 1 1 rg " + textLine(72, 650, secret)}, compress: true}).bytes(), "text")
	add("invisible text layer (render mode 3)", (&testPDF{pages: []string{visible + "BT 3 Tr /F1 14 Tf 72 650 Td (" + secret + ") Tj ET\n"}}).bytes(), "text")
	add("text outside the page", (&testPDF{pages: []string{visible + textLine(900, 1200, secret)}}).bytes(), "bytes")
	add("kerned into pieces", (&testPDF{pages: []string{visible + "BT 3 Tr /F1 14 Tf 72 650 Td [(Kari Nor) -40 (dmann 0201) 20 (3299997)] TJ ET\n"}, compress: true}).bytes(), "text", "bytes")

	// An incremental save that "redacts" the page by replacing its content
	// stream: the first revision, with the value, stays in the file.
	base := (&testPDF{pages: []string{visible + textLine(72, 650, secret)}})
	add("incremental save keeps the original", incrementalUpdate(base.bytes(), 6, 5, streamObj("", []byte(visible))), "structure: earlier revision", "bytes")

	att := &testPDF{pages: []string{visible}}
	file := att.addObj(streamObj(" /Type /EmbeddedFile /Filter /FlateDecode", zlibBytes([]byte("Notat om "+secret))))
	spec := att.addObj(fmt.Sprintf("<</Type /Filespec /F (notat.txt) /EF <</F %d 0 R>>>>", file))
	att.catalogExtra = fmt.Sprintf("/Names <</EmbeddedFiles <</Names [(notat.txt) %d 0 R]>>>>", spec)
	add("embedded file attachment", att.bytes(), "structure: attachment", "bytes")

	ann := &testPDF{pages: []string{visible}}
	ann.pageExtra = "/Annots [<</Type /Annot /Subtype /Text /Rect [72 600 92 620] /Contents <FEFF" + utf16Hex("Ring "+secret) + "> /T (" + testEmail + ")>>]"
	add("annotation with the value", ann.bytes(), "structure: annotation", "bytes")

	meta := &testPDF{pages: []string{visible}}
	xmp := meta.addObj(streamObj(" /Type /Metadata /Subtype /XML", []byte(`<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>`+testName+`</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)))
	info := meta.addObj("<</Author (" + testName + ") /Subject (" + testFnr + ")>>")
	meta.catalogExtra = fmt.Sprintf("/Metadata %d 0 R", xmp)
	meta.trailerExtra = fmt.Sprintf("/Info %d 0 R", info)
	add("XMP metadata and document information", meta.bytes(), "structure: metadata stream", "structure: document information", "bytes")
	return out
}

func utf16Hex(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, "%04X", r)
	}
	return b.String()
}

// Each trick must be caught by the gate in the unredacted file, and the
// redacted copy must pass the gate: rasterising drops everything that is
// not ink on the page, and the boxes cover what is.
func TestAdversarialPDFsAreCaughtByTheGateAndComeOutClean(t *testing.T) {
	requireTools(t, "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	for _, tc := range adversarialPDFs() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			err := Gate(ctx, tc.data, "application/pdf", confirmed)
			if err == nil {
				t.Fatal("the gate passed the unredacted file")
			}
			ge := gateErr(t, err)
			for _, c := range tc.catch {
				if !slices.Contains(ge.Checks, c) {
					t.Errorf("gate checks %v, want %q among them", ge.Checks, c)
				}
			}
			a, err := Analyse(ctx, "in.pdf", tc.data, Options{Persons: testPersons})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Redact(ctx, "in.pdf", tc.data, allAreas(a), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
				t.Errorf("gate on the redacted copy: %v", err)
			}
		})
	}
}

func TestRedactedPDFIsImageOnlyOneRevisionWithoutMetadataAndDeterministic(t *testing.T) {
	requireTools(t, "pdftoppm", "pdftotext", "pdfinfo")
	ctx := testCtx(t)
	in := &testPDF{pages: []string{
		visible + textLine(72, 650, "Klager: "+testName),
		textLine(72, 700, "Side to: "+testEmail),
	}}
	data := in.bytes()
	a, err := Analyse(ctx, "in.pdf", data, Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	if a.Pages != 2 || len(a.TextlessPages) != 0 {
		t.Fatalf("analysis: %d pages, textless %v", a.Pages, a.TextlessPages)
	}
	pages := map[int]bool{}
	for _, f := range a.Findings {
		pages[f.Page] = true
	}
	if !pages[1] || !pages[2] {
		t.Fatalf("findings on pages %v, want 1 and 2", pages)
	}
	r1, err := Redact(ctx, "in.pdf", data, allAreas(a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Redact(ctx, "in.pdf", data, allAreas(a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r1.Data, r2.Data) {
		t.Error("two redactions of the same input differ")
	}
	if r1.Pages != 2 {
		t.Errorf("%d pages, want 2", r1.Pages)
	}
	s := scanPDF(r1.Data)
	if s.eofs != 1 || s.startxref != 1 {
		t.Errorf("%d %%%%EOF and %d startxref, want one revision", s.eofs, s.startxref)
	}
	allowed := []string{"Type", "Catalog", "Pages", "Kids", "Count", "Page", "Parent", "MediaBox", "Resources", "XObject",
		"Im0", "Contents", "Subtype", "Image", "Width", "Height", "ColorSpace", "DeviceGray", "DeviceRGB", "BitsPerComponent",
		"Filter", "FlateDecode", "Length", "Root", "Size"}
	for n := range s.names {
		if !slices.Contains(allowed, n) {
			t.Errorf("unexpected name /%s in the output", n)
		}
	}
	if err := Gate(ctx, r1.Data, r1.MediaType, confirmed); err != nil {
		t.Errorf("gate: %v", err)
	}
	// The pages keep their size.
	w := newTestWork(t)
	f, _ := w.write("o.pdf", r1.Data)
	sizes, err := DefaultTools.pdfInfo(ctx, w, f)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range sizes {
		if p.W < 611 || p.W > 613 || p.H < 791 || p.H > 793 {
			t.Errorf("page %d is %.1f×%.1f pt, want 612×792", i+1, p.W, p.H)
		}
	}
}

func newTestWork(t *testing.T) *workDir {
	w, err := newWorkDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.remove)
	return w
}

func TestRedactWithOCRAddsASearchableLayerWithoutTheRemovedValues(t *testing.T) {
	requireTools(t, "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	ctx := testCtx(t)
	data := (&testPDF{pages: []string{visible + textLine(72, 650, "Klager: "+testName+" fnr "+testFnrFmt)}}).bytes()
	a, err := Analyse(ctx, "in.pdf", data, Options{Persons: testPersons, OCR: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Redact(ctx, "in.pdf", data, allAreas(a), Options{OCR: true})
	if err != nil {
		t.Fatal(err)
	}
	w := newTestWork(t)
	f, _ := w.write("o.pdf", res.Data)
	text, err := DefaultTools.run(ctx, w, "pdftotext", f, "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(string(text)), "arbeidsmiljoet") {
		t.Errorf("the OCR layer lacks the page's words: %q", text)
	}
	if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
		t.Errorf("gate: %v", err)
	}
}

func TestAnalyseReportsPagesWithoutTextLayer(t *testing.T) {
	requireTools(t, "pdftoppm", "pdftotext", "pdfinfo")
	data := (&testPDF{pages: []string{visible, "0.5 g 72 72 100 100 re f\n"}}).bytes()
	a, err := Analyse(testCtx(t), "in.pdf", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.TextlessPages, []int{2}) {
		t.Errorf("textless pages %v, want [2]", a.TextlessPages)
	}
}

func TestPDFPageLimitsAreEnforcedBeforeRendering(t *testing.T) {
	requireTools(t, "pdftoppm", "pdftotext", "pdfinfo")
	ctx := testCtx(t)
	few := DefaultTools
	few.MaxPages = 1
	two := (&testPDF{pages: []string{visible, visible}}).bytes()
	if _, err := Redact(ctx, "in.pdf", two, nil, Options{Tools: &few}); !errorsIs(err, ErrTooLarge) {
		t.Errorf("2 pages with MaxPages 1: err = %v", err)
	}
	// A page that claims to be 14400 points (200 inches) square is rendered
	// at a lower resolution, within the pixel limit, not refused.
	huge := (&testPDF{pages: []string{visible}, mediaBox: "[0 0 14400 14400]"}).bytes()
	res, err := Redact(ctx, "in.pdf", huge, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(res.Data, []byte("/MediaBox [0 0 14400 14400]")) && !bytes.Contains(res.Data, []byte("/MediaBox [0 0 1440")) {
		t.Errorf("huge page lost its size")
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
