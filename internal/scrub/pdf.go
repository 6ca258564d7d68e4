package scrub

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Field names only PDFs report.
const (
	FieldAnnotations = "Annotations"
	FieldFormFields  = "Form fields"
	FieldJavaScript  = "JavaScript"
	FieldPages       = "Pages"
)

// Bounds of the PDF inspection: what one Flate stream and all of them
// together may inflate to, and how far back a stream's dictionary is
// looked for.
const (
	pdfMaxStream   = 16 << 20
	pdfMaxInflated = 64 << 20
	pdfDictLook    = 4096
)

// inspectPDF lists what a PDF reveals without parsing its object graph:
// a lexical pass over the raw bytes and over every Flate-compressed stream
// that is not an image (object streams hold the document information and
// the annotations of PDF 1.5+ files, and XMP may be compressed). It finds
// the document information (author, software, dates, title...), XMP,
// attachments, annotations and their comments, form fields, JavaScript,
// encryption and incremental updates. Not trusting the cross-reference
// table is the point: an earlier revision or an object no page uses is
// read like any other. It never fails on a damaged file: what it cannot
// read it does not report, and the file goes through the rasterising
// cleaner anyway.
func inspectPDF(rep *Report, r io.ReaderAt, size int64) error {
	p := &pdfInspect{rep: rep, r: r, size: size, budget: pdfMaxInflated}
	const chunk, overlap = 1 << 20, 4096
	buf := make([]byte, chunk+overlap)
	for off := int64(0); off < size; off += chunk {
		n, err := r.ReadAt(buf, off)
		if n == 0 && err != nil {
			break
		}
		b := buf[:n]
		scan := b
		if off+int64(n) < size && n > overlap {
			scan = b[:n-overlap] // matches starting in the overlap are seen next time
		}
		p.eofs += bytes.Count(scan, []byte("%%EOF"))
		p.scan(b, len(scan))
		p.streams(b, len(scan), off)
	}
	p.report()
	return nil
}

type pdfInspect struct {
	rep    *Report
	r      io.ReaderAt
	size   int64
	budget int64 // bytes that may still be inflated

	eofs          int
	annots        bool
	annotKinds    int // markup annotations (comments, highlights, stamps...)
	formFields    int
	acroForm      bool
	javaScript    bool
	xmp           bool
	attachments   int
	attachedNames []string
}

// pdfInfoKeys are the document information entries and where they show.
var pdfInfoKeys = []struct{ key, field string }{
	{"/Author", FieldAuthor}, {"/Creator", FieldSoftware}, {"/Producer", FieldSoftware},
	{"/CreationDate", FieldCreated}, {"/ModDate", FieldModified}, {"/Title", FieldTitle},
	{"/Subject", FieldDescription}, {"/Keywords", FieldKeywords},
	{"/Company", FieldCompany}, {"/SourceModified", FieldModified},
}

// markupAnnots are annotation subtypes a person adds by hand (comments,
// highlights, drawings, stamps), as opposed to links and widgets.
var markupAnnots = []string{"/Text", "/FreeText", "/Highlight", "/Underline", "/StrikeOut", "/Squiggly",
	"/Ink", "/Stamp", "/Square", "/Circle", "/Line", "/Polygon", "/PolyLine", "/Caret", "/Popup",
	"/FileAttachment", "/Sound", "/Redact"}

// hasName reports whether b[i:] starts with the name n as a whole name.
func hasName(b []byte, i int, n string) bool {
	return bytes.HasPrefix(b[i:], []byte(n)) && (len(b) == i+len(n) || !isNameChar(b[i+len(n)]))
}

// scan looks at every name starting in b[:limit] (b holds the lookahead).
func (p *pdfInspect) scan(b []byte, limit int) {
	for i := 0; i < limit; {
		j := bytes.IndexByte(b[i:limit], '/')
		if j < 0 {
			break
		}
		i += j
		for _, k := range pdfInfoKeys {
			if hasName(b, i, k.key) {
				if v, ok := pdfString(b[i+len(k.key):]); ok {
					addNonEmpty(p.rep, k.field, v)
				}
			}
		}
		switch {
		case hasName(b, i, "/Encrypt"):
			p.rep.add(FieldEncrypted, "yes")
		case hasName(b, i, "/Annots"):
			p.annots = true
		case hasName(b, i, "/Subtype"):
			rest := bytes.TrimLeft(b[i+len("/Subtype"):min(len(b), i+64)], " \t\r\n")
			for _, s := range markupAnnots {
				if hasName(rest, 0, s) {
					p.annotKinds++
					break
				}
			}
		case hasName(b, i, "/Contents"):
			// A string here is an annotation's text (a page's /Contents is
			// a reference); hex strings are shown only in UTF-16, since a
			// signature's /Contents is a long binary hex string.
			rest := bytes.TrimLeft(b[i+len("/Contents"):min(len(b), i+4096)], " \t\r\n")
			if len(rest) > 0 && (rest[0] == '(' || bytes.HasPrefix(rest, []byte("<FEFF")) || bytes.HasPrefix(rest, []byte("<feff"))) {
				if v, ok := pdfString(rest); ok {
					addNonEmpty(p.rep, FieldComment, v)
				}
			}
		case hasName(b, i, "/EmbeddedFile"), hasName(b, i, "/EmbeddedFiles"):
			p.attachments++
		case hasName(b, i, "/UF"):
			if v, ok := pdfString(b[i+3:]); ok && strings.TrimSpace(v) != "" && len(p.attachedNames) < 20 {
				p.attachedNames = append(p.attachedNames, v)
			}
		case hasName(b, i, "/AcroForm"):
			p.acroForm = true
		case hasName(b, i, "/FT"):
			p.formFields++
		case hasName(b, i, "/JavaScript"), hasName(b, i, "/JS"):
			p.javaScript = true
		case hasName(b, i, "/Metadata"):
			p.xmp = true
		}
		i++
	}
	if bytes.Contains(b[:limit], []byte("<x:xmpmeta")) || bytes.Contains(b[:limit], []byte("<?xpacket")) {
		p.xmp = true
		inspectXMP(p.rep, b[:limit])
	}
}

// streams inflates every Flate stream whose keyword starts in b[:limit]
// (b is the file from offset off) and scans what comes out.
func (p *pdfInspect) streams(b []byte, limit int, off int64) {
	for i := 0; i < limit; {
		j := bytes.Index(b[i:limit], []byte("stream"))
		if j < 0 {
			return
		}
		i += j
		at := i
		i += len("stream")
		if at > 0 && b[at-1] == 'd' { // "endstream"
			continue
		}
		if p.budget <= 0 {
			return
		}
		// The data starts after the end of line that follows the keyword.
		start := off + int64(i)
		var eol [2]byte
		if n, _ := p.r.ReadAt(eol[:], start); n > 0 {
			switch {
			case n == 2 && eol[0] == '\r' && eol[1] == '\n':
				start += 2
			case eol[0] == '\n' || eol[0] == '\r':
				start++
			default:
				continue // not a stream keyword
			}
		}
		if !p.flateDict(off + int64(at)) {
			continue
		}
		data := p.inflate(start)
		if len(data) == 0 {
			continue
		}
		// Object streams and XMP: scan them like the file itself. A
		// stream inside a stream does not occur; nothing recurses.
		p.scan(data, len(data))
	}
}

// flateDict reports whether the dictionary before the stream keyword at
// pos asks for FlateDecode alone and is not an image (pixels say nothing
// here, and inflating them would spend the budget).
func (p *pdfInspect) flateDict(pos int64) bool {
	from := max(0, pos-pdfDictLook)
	d := make([]byte, pos-from)
	n, _ := p.r.ReadAt(d, from)
	d = d[:n]
	if k := bytes.LastIndex(d, []byte(" obj")); k >= 0 {
		d = d[k:]
	}
	if !bytes.Contains(d, []byte("/FlateDecode")) || bytes.Contains(d, []byte("/DecodeParms")) && bytes.Contains(d, []byte("/Predictor")) {
		return false
	}
	for _, x := range []string{"/Image", "/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode", "/FontFile", "/Length1"} {
		if bytes.Contains(d, []byte(x)) {
			return false
		}
	}
	return true
}

// inflate decompresses the zlib stream at start, up to the per-stream and
// total bounds; a damaged stream gives what could be read before the damage.
func (p *pdfInspect) inflate(start int64) []byte {
	if start >= p.size {
		return nil
	}
	zr, err := zlib.NewReader(io.NewSectionReader(p.r, start, p.size-start))
	if err != nil {
		return nil
	}
	defer zr.Close()
	lim := min(int64(pdfMaxStream), p.budget)
	var out bytes.Buffer
	io.Copy(&out, io.LimitReader(zr, lim)) // a read error keeps what came before it
	p.budget -= int64(out.Len())
	return out.Bytes()
}

func (p *pdfInspect) report() {
	rep := p.rep
	if p.xmp {
		rep.add(FieldXMP, "present")
	}
	if p.attachments > 0 || len(p.attachedNames) > 0 {
		if len(p.attachedNames) == 0 {
			rep.add(FieldEmbedded, "attached file")
		}
		for _, n := range p.attachedNames {
			rep.add(FieldEmbedded, n)
		}
	}
	switch {
	case p.annotKinds > 0:
		rep.add(FieldAnnotations, fmt.Sprintf("%d", p.annotKinds))
	case p.annots:
		rep.add(FieldAnnotations, "present")
	}
	if p.formFields > 0 {
		rep.add(FieldFormFields, fmt.Sprintf("%d", p.formFields))
	} else if p.acroForm {
		rep.add(FieldFormFields, "present")
	}
	if p.javaScript {
		rep.add(FieldJavaScript, "present")
	}
	if p.eofs > 1 {
		rep.add(FieldRevisions, fmt.Sprintf("%d saved versions (incremental updates)", p.eofs))
	}
}
func isNameChar(c byte) bool {
	return c > ' ' && !strings.ContainsRune("/()<>[]{}%", rune(c))
}

// pdfString parses a literal or hex string at the start of b (after spaces).
func pdfString(b []byte) (string, bool) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "", false
	}
	var raw []byte
	switch b[0] {
	case '(':
		depth := 0
		for i := 1; i < len(b) && len(raw) < 1024; i++ {
			c := b[i]
			switch {
			case c == '\\' && i+1 < len(b):
				i++
				switch e := b[i]; e {
				case 'n':
					raw = append(raw, '\n')
				case 'r':
					raw = append(raw, '\r')
				case 't':
					raw = append(raw, '\t')
				case 'b', 'f':
				case '0', '1', '2', '3', '4', '5', '6', '7':
					v := int(e - '0')
					for k := 0; k < 2 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'; k++ {
						i++
						v = v*8 + int(b[i]-'0')
					}
					raw = append(raw, byte(v))
				case '\r', '\n':
				default:
					raw = append(raw, e)
				}
			case c == '(':
				depth++
				raw = append(raw, c)
			case c == ')':
				if depth == 0 {
					return decodePDFText(raw), true
				}
				depth--
				raw = append(raw, c)
			default:
				raw = append(raw, c)
			}
		}
		return decodePDFText(raw), true
	case '<':
		if len(b) > 1 && b[1] == '<' {
			return "", false
		}
		end := bytes.IndexByte(b, '>')
		if end < 0 {
			end = min(len(b), 2048)
		}
		var hex []byte
		for _, c := range b[1:end] {
			if v, ok := unhex(c); ok {
				hex = append(hex, v)
			}
		}
		for i := 0; i+1 < len(hex); i += 2 {
			raw = append(raw, hex[i]<<4|hex[i+1])
		}
		return decodePDFText(raw), true
	}
	return "", false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func decodePDFText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return cleanString([]byte(string(utf16.Decode(u))))
	}
	// PDFDocEncoding is close enough to Latin-1 for display.
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return cleanString([]byte(string(r)))
}
