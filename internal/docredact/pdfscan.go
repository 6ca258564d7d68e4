package docredact

import (
	"bytes"
	"compress/zlib"
	"io"
	"strings"
	"unicode/utf16"
)

// pdfScan is what a lexical pass over a PDF found: every name (decoded),
// every string (decoded, UTF-16 included) and the decompressed streams,
// including those inside object streams, plus the revision markers. It
// does not trust the cross-reference table: an earlier revision or an
// object no page refers to is scanned like any other, which is the point.
type pdfScan struct {
	names     map[string]int
	strings   []string
	streams   [][]byte // decoded non-image streams (content, object, metadata, files)
	eofs      int
	startxref int
	filters   map[string]int // stream filters other than FlateDecode
	truncated bool           // a limit was reached: the scan is incomplete
}

// Bounds of the scanner: total decompressed bytes, nesting of object
// streams, strings and names kept.
const (
	maxInflateTotal = 1 << 30
	maxScanDepth    = 3
	maxScanStrings  = 1_000_000
)

func scanPDF(data []byte) *pdfScan {
	s := &pdfScan{names: map[string]int{}, filters: map[string]int{}}
	budget := int64(maxInflateTotal)
	s.lex(data, 0, &budget)
	return s
}

func isPDFWhite(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// lex walks b, which is a file or a decoded content or object stream.
func (s *pdfScan) lex(b []byte, depth int, budget *int64) {
	var objNames []string // names since the last "obj", for the stream's dict
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '%':
			j := i
			for j < len(b) && b[j] != '\n' && b[j] != '\r' {
				j++
			}
			if depth == 0 && bytes.HasPrefix(b[i:j], []byte("%%EOF")) {
				s.eofs++
			}
			i = j
		case c == '(':
			str, n := lexLiteral(b[i:])
			s.addString(str)
			i += n
		case c == '<' && i+1 < len(b) && b[i+1] == '<':
			i += 2
		case c == '<':
			str, n := lexHex(b[i:])
			s.addString(str)
			i += n
		case c == '/':
			name, n := lexName(b[i:])
			if name != "" {
				s.names[name]++
				objNames = append(objNames, name)
			}
			i += n
		case isPDFWhite(c) || isPDFDelim(c):
			i++
		default:
			j := i
			for j < len(b) && !isPDFWhite(b[j]) && !isPDFDelim(b[j]) {
				j++
			}
			switch string(b[i:j]) {
			case "obj":
				objNames = objNames[:0]
			case "startxref":
				if depth == 0 {
					s.startxref++
				}
			case "stream":
				end := s.stream(b, j, objNames, depth, budget)
				objNames = objNames[:0]
				j = end
			}
			i = j
		}
	}
}

// stream handles the data after the keyword "stream" at b[at:] and returns
// the offset after "endstream". The data ends at the next "endstream" (a
// hostile /Length must not hide bytes from the scan).
func (s *pdfScan) stream(b []byte, at int, dict []string, depth int, budget *int64) int {
	start := at
	if start < len(b) && b[start] == '\r' {
		start++
	}
	if start < len(b) && b[start] == '\n' {
		start++
	}
	end := bytes.Index(b[start:], []byte("endstream"))
	next := len(b)
	if end < 0 {
		end = len(b)
	} else {
		end += start
		next = end + len("endstream")
	}
	data := b[start:end]
	has := func(n string) bool {
		for _, d := range dict {
			if d == n {
				return true
			}
		}
		return false
	}
	image := has("Image")
	for _, d := range dict {
		switch d {
		case "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode", "CCITTFaxDecode", "JBIG2Decode", "DCTDecode", "JPXDecode", "Crypt":
			s.filters[d]++
		}
	}
	if has("FlateDecode") || has("Fl") {
		data = inflate(data, budget)
		if data == nil {
			s.truncated = s.truncated || *budget <= 0
			return next
		}
	} else if len(dict) > 0 && (has("Filter")) {
		// another filter: kept raw, reported through filters
	}
	if image {
		// Pixels are not text: OCR reads them. Scanning decoded samples
		// for short values would only raise false alarms.
		return next
	}
	if len(s.streams) < 100_000 {
		s.streams = append(s.streams, data)
	}
	if depth < maxScanDepth {
		s.lex(data, depth+1, budget)
	} else {
		s.truncated = true
	}
	return next
}

// inflate decompresses zlib data within the budget; a damaged stream
// yields what could be read.
func inflate(data []byte, budget *int64) []byte {
	if *budget <= 0 {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	defer zr.Close()
	var out bytes.Buffer
	n, _ := io.Copy(&out, io.LimitReader(zr, *budget))
	*budget -= n
	return out.Bytes()
}

func (s *pdfScan) addString(str string) {
	if str == "" {
		return
	}
	if len(s.strings) >= maxScanStrings {
		s.truncated = true
		return
	}
	s.strings = append(s.strings, decodePDFString(str))
}

// decodePDFString turns UTF-16BE (with BOM) into UTF-8 and leaves other
// strings as bytes (PDFDocEncoding and WinAnsi agree with Latin-1 for the
// letters that matter here).
func decodePDFString(s string) string {
	if len(s) >= 2 && s[0] == 0xFE && s[1] == 0xFF {
		u := make([]uint16, 0, len(s)/2)
		for i := 2; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		return string(utf16.Decode(u))
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// lexLiteral reads a literal string starting at b[0] == '(' and returns its
// decoded bytes and length in b.
func lexLiteral(b []byte) (string, int) {
	var out []byte
	depth := 0
	i := 0
	for i < len(b) {
		c := b[i]
		switch c {
		case '(':
			depth++
			if depth > 1 {
				out = append(out, c)
			}
			i++
		case ')':
			depth--
			i++
			if depth == 0 {
				return string(out), i
			}
			out = append(out, c)
		case '\\':
			i++
			if i >= len(b) {
				return string(out), i
			}
			e := b[i]
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				if i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for k < 3 && i < len(b) && b[i] >= '0' && b[i] <= '7' {
						v = v*8 + int(b[i]-'0')
						i++
						k++
					}
					out = append(out, byte(v))
					continue
				}
				out = append(out, e)
			}
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out), i
}

// lexHex reads a hex string starting at b[0] == '<'.
func lexHex(b []byte) (string, int) {
	var out []byte
	hi, half := byte(0), false
	i := 1
	for ; i < len(b) && b[i] != '>'; i++ {
		v, ok := hexVal(b[i])
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	if i < len(b) {
		i++
	}
	return string(out), i
}

func hexVal(c byte) (byte, bool) {
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

// lexName reads a name starting at b[0] == '/', decoding #xx escapes
// (so /J#53 is /JS).
func lexName(b []byte) (string, int) {
	var out []byte
	i := 1
	for i < len(b) && !isPDFWhite(b[i]) && !isPDFDelim(b[i]) {
		if b[i] == '#' && i+2 < len(b) {
			h, ok1 := hexVal(b[i+1])
			l, ok2 := hexVal(b[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 3
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return string(out), i
}
