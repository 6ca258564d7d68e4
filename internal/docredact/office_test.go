package docredact

import (
	"archive/zip"
	"bytes"
	"slices"
	"testing"
)

// minimalDOCX is a Word document with one paragraph per line and a
// comment-free, change-free body.
func minimalDOCX(t *testing.T, lines ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	put("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)
	body := ""
	for _, l := range lines {
		body += `<w:p><w:r><w:rPr><w:sz w:val="28"/></w:rPr><w:t xml:space="preserve">` + l + `</w:t></w:r></w:p>`
	}
	put("word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body+`</w:body></w:document>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// One LibreOffice start costs seconds, so office handling has one test
// that goes the whole way: convert, analyse, redact, gate.
func TestOfficeFileIsConvertedAnalysedRedactedAndPassesTheGate(t *testing.T) {
	requireTools(t, "soffice", "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	ctx := testCtx(t)
	data := minimalDOCX(t, "Klager: "+testName, "Fødselsnummer "+testFnr, "Saken gjelder arbeidsmiljøet.")
	a, err := Analyse(ctx, "klage.docx", data, Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	if a.MediaType != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" || a.Pages != 1 {
		t.Errorf("analysis: %s, %d pages", a.MediaType, a.Pages)
	}
	var types []string
	for _, f := range a.Findings {
		types = append(types, f.Type)
	}
	if !slices.Contains(types, "PERSON") || !slices.Contains(types, "NO_FNR") {
		t.Fatalf("findings %v, want PERSON and NO_FNR", types)
	}
	res, err := Redact(ctx, "klage.docx", data, allAreas(a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != "application/pdf" {
		t.Errorf("output %s, want a PDF", res.MediaType)
	}
	if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
		t.Errorf("gate: %v", err)
	}
}
