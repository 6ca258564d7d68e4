// Package pdftest builds PDFs for tests: small, valid files carrying the
// kinds of hidden information a whistleblower's PDF can give away, each
// value marked so a test can look for it in the output.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// Dirty is what Build puts into the file. Every value is written as given;
// use distinct markers so that a leak names its source.
type Dirty struct {
	Pages      int    // at least 1
	Text       string // visible text on every page
	Author     string // document information /Author
	Creator    string // /Creator
	Producer   string // /Producer
	XMPCreator string // dc:creator in an XMP stream referenced by the catalog
	Attachment string // the content of an embedded file, named "<Attachment>.txt"
	Comment    string // a sticky-note annotation's text on page 1
	CommentBy  string // the annotation's author (/T)
	FormValue  string // a text form field's value on page 1
	// Compressed puts the document information, the annotation and the
	// form field in a compressed object stream (PDF 1.5), where a plain
	// byte search does not see them.
	Compressed bool
	// Incremental appends an update that changes the author, leaving the
	// first version in the file.
	Incremental string
}

// Build writes the PDF.
func Build(d Dirty) []byte {
	if d.Pages < 1 {
		d.Pages = 1
	}
	b := &builder{}
	b.buf.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	// Object numbers: 1 catalog, 2 pages, 3 font, 4 info, 5 xmp,
	// 6 embedded file, 7 filespec, 8 annotation, 9 form field,
	// 10 object stream, then 2 per page (page, content).
	const firstPage = 11
	var kids []string
	for i := 0; i < d.Pages; i++ {
		kids = append(kids, fmt.Sprintf("%d 0 R", firstPage+2*i))
	}
	catalog := "<< /Type /Catalog /Pages 2 0 R"
	if d.XMPCreator != "" {
		catalog += " /Metadata 5 0 R"
	}
	if d.Attachment != "" {
		catalog += " /Names << /EmbeddedFiles << /Names [(" + d.Attachment + ".txt) 7 0 R] >> >>"
	}
	if d.FormValue != "" {
		catalog += " /AcroForm << /Fields [9 0 R] >>"
	}
	catalog += " >>"
	b.obj(1, catalog)
	b.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), d.Pages))
	b.obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

	info := "<< /Author (" + d.Author + ") /Creator (" + d.Creator + ") /Producer (" + d.Producer + ") /CreationDate (D:20240102030405Z) >>"
	annot := "<< /Type /Annot /Subtype /Text /Rect [100 700 120 720] /P " + fmt.Sprint(firstPage) + " 0 R /Contents (" + d.Comment + ") /T (" + d.CommentBy + ") >>"
	field := "<< /FT /Tx /T (name) /V (" + d.FormValue + ") /Rect [100 600 300 620] /Subtype /Widget /Type /Annot /P " + fmt.Sprint(firstPage) + " 0 R >>"
	if d.Compressed {
		// Objects 4, 8 and 9 live in object stream 10.
		var heads []string
		var body bytes.Buffer
		for _, o := range []struct {
			n int
			s string
		}{{4, info}, {8, annot}, {9, field}} {
			heads = append(heads, fmt.Sprintf("%d %d", o.n, body.Len()))
			body.WriteString(o.s + "\n")
		}
		head := strings.Join(heads, " ") + "\n"
		raw := append([]byte(head), body.Bytes()...)
		z := deflate(raw)
		b.stream(10, fmt.Sprintf("/Type /ObjStm /N 3 /First %d /Filter /FlateDecode", len(head)), z)
		b.compressed = map[int]bool{4: true, 8: true, 9: true}
	} else {
		b.obj(4, info)
		b.obj(8, annot)
		b.obj(9, field)
	}
	if d.XMPCreator != "" {
		xmp := `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>` +
			d.XMPCreator + `</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
		b.stream(5, "/Type /Metadata /Subtype /XML", []byte(xmp))
	}
	if d.Attachment != "" {
		b.stream(6, "/Type /EmbeddedFile", []byte(d.Attachment))
		b.obj(7, "<< /Type /Filespec /F ("+d.Attachment+".txt) /UF ("+d.Attachment+".txt) /EF << /F 6 0 R >> >>")
	}
	for i := 0; i < d.Pages; i++ {
		page := fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R", firstPage+2*i+1)
		if i == 0 && (d.Comment != "" || d.FormValue != "") {
			var a []string
			if d.Comment != "" {
				a = append(a, "8 0 R")
			}
			if d.FormValue != "" {
				a = append(a, "9 0 R")
			}
			page += " /Annots [" + strings.Join(a, " ") + "]"
		}
		b.obj(firstPage+2*i, page+" >>")
		text := fmt.Sprintf("BT /F1 24 Tf 72 700 Td (%s page %d) Tj ET", d.Text, i+1)
		b.stream(firstPage+2*i+1, "", []byte(text))
	}
	b.trailer(firstPage+2*d.Pages, d.Compressed)
	if d.Incremental != "" {
		b.obj(4, "<< /Author ("+d.Incremental+") >>")
		b.update(firstPage + 2*d.Pages)
	}
	return b.buf.Bytes()
}

type builder struct {
	buf        bytes.Buffer
	offsets    map[int]int
	compressed map[int]bool
	lastXref   int
	updated    []int
}

func (b *builder) obj(n int, body string) {
	if b.offsets == nil {
		b.offsets = map[int]int{}
	}
	b.offsets[n] = b.buf.Len()
	b.updated = append(b.updated, n)
	fmt.Fprintf(&b.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (b *builder) stream(n int, dict string, data []byte) {
	if b.offsets == nil {
		b.offsets = map[int]int{}
	}
	b.offsets[n] = b.buf.Len()
	fmt.Fprintf(&b.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	b.buf.Write(data)
	b.buf.WriteString("\nendstream\nendobj\n")
}

// trailer writes a classic xref table, or with compressed objects an
// xref stream (which can point into object streams).
func (b *builder) trailer(size int, xrefStream bool) {
	if !xrefStream {
		b.lastXref = b.buf.Len()
		fmt.Fprintf(&b.buf, "xref\n0 %d\n0000000000 65535 f \n", size)
		for i := 1; i < size; i++ {
			if off, ok := b.offsets[i]; ok {
				fmt.Fprintf(&b.buf, "%010d 00000 n \n", off)
			} else {
				b.buf.WriteString("0000000000 65535 f \n")
			}
		}
		fmt.Fprintf(&b.buf, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", size, b.lastXref)
		b.updated = nil
		return
	}
	// Entry types: 0 free, 1 offset, 2 in object stream 10 (index).
	n := size + 1 // the xref stream itself is object size
	var rows []byte
	idx := map[int]int{4: 0, 8: 1, 9: 2}
	for i := 0; i < n; i++ {
		switch {
		case i == size:
			rows = append(rows, 1, byte(b.buf.Len()>>24), byte(b.buf.Len()>>16), byte(b.buf.Len()>>8), byte(b.buf.Len()), 0)
		case b.compressed[i]:
			rows = append(rows, 2, 0, 0, 0, 10, byte(idx[i]))
		default:
			if off, ok := b.offsets[i]; ok {
				rows = append(rows, 1, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), 0)
			} else {
				rows = append(rows, 0, 0, 0, 0, 0, 0)
			}
		}
	}
	b.lastXref = b.buf.Len()
	b.stream(size, fmt.Sprintf("/Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Info 4 0 R /Filter /FlateDecode", n), deflate(rows))
	fmt.Fprintf(&b.buf, "startxref\n%d\n%%%%EOF\n", b.lastXref)
	b.updated = nil
}

// update appends an incremental update's xref section for the objects
// written since the last one.
func (b *builder) update(size int) {
	xref := b.buf.Len()
	b.buf.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, n := range b.updated {
		fmt.Fprintf(&b.buf, "%d 1\n%010d 00000 n \n", n, b.offsets[n])
	}
	fmt.Fprintf(&b.buf, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, b.lastXref, xref)
	b.lastXref = xref
	b.updated = nil
}

func deflate(p []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(p)
	zw.Close()
	return out.Bytes()
}
