package scrub

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// inspectPDF reads a PDF's document information where it is stored
// uncompressed (the usual case), the presence of XMP and of incremental
// updates. It does not parse the object graph: values inside compressed
// object streams are not seen. Stripping PDFs is out of scope here; they
// go through the rasterising path.
func inspectPDF(rep *Report, r io.ReaderAt, size int64) error {
	const chunk, overlap = 1 << 20, 4096
	keys := []struct{ key, field string }{
		{"/Author", FieldAuthor}, {"/Creator", FieldSoftware}, {"/Producer", FieldSoftware},
		{"/CreationDate", FieldCreated}, {"/ModDate", FieldModified}, {"/Title", FieldTitle},
		{"/Subject", FieldDescription}, {"/Keywords", FieldKeywords},
	}
	eofs := 0
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
		eofs += bytes.Count(scan, []byte("%%EOF"))
		for i := 0; i < len(scan); {
			j := bytes.IndexByte(scan[i:], '/')
			if j < 0 {
				break
			}
			i += j
			for _, k := range keys {
				if bytes.HasPrefix(b[i:], []byte(k.key)) && len(b) > i+len(k.key) && !isNameChar(b[i+len(k.key)]) {
					if v, ok := pdfString(b[i+len(k.key):]); ok {
						addNonEmpty(rep, k.field, v)
					}
				}
			}
			switch {
			case bytes.HasPrefix(b[i:], []byte("/Encrypt")) && len(b) > i+8 && !isNameChar(b[i+8]):
				rep.add(FieldEncrypted, "yes")
			case bytes.HasPrefix(b[i:], []byte("/Annots")):
				rep.add("Annotations", "present")
			case bytes.HasPrefix(b[i:], []byte("/EmbeddedFile")):
				rep.add(FieldEmbedded, "attached file")
			}
			i++
		}
		if bytes.Contains(scan, []byte("<x:xmpmeta")) || bytes.Contains(scan, []byte("/Metadata")) {
			rep.add(FieldXMP, "present")
			inspectXMP(rep, scan)
		}
	}
	if eofs > 1 {
		rep.add(FieldRevisions, fmt.Sprintf("%d saved versions (incremental updates)", eofs))
	}
	return nil
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
