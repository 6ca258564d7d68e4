// Package officetest builds office documents for tests: plain Word files
// with known text on known pages, and nothing else (no comments, tracked
// changes or document properties), so that a test controls every word
// LibreOffice will lay out.
package officetest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"strings"
)

// DOCX is a Word document of the given pages: each page after the first
// starts with a page break, and each line is a paragraph in 12 pt. The
// text is XML-escaped. A page of up to about 30 short lines stays one
// page when LibreOffice lays it out.
func DOCX(pages ...[]string) []byte {
	var body strings.Builder
	for i, lines := range pages {
		for j, l := range lines {
			body.WriteString("<w:p>")
			if i > 0 && j == 0 {
				body.WriteString(`<w:r><w:br w:type="page"/></w:r>`)
			}
			body.WriteString(`<w:r><w:rPr><w:sz w:val="24"/></w:rPr><w:t xml:space="preserve">`)
			xml.EscapeText(&body, []byte(l))
			body.WriteString("</w:t></w:r></w:p>")
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`},
	} {
		// Writing to a bytes.Buffer cannot fail.
		w, _ := zw.Create(part.name)
		w.Write([]byte(part.body))
	}
	zw.Close()
	return buf.Bytes()
}
