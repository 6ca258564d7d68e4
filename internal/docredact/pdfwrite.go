package docredact

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"strconv"

	"golang.org/x/text/encoding/charmap"
)

// pdfWriter builds an image-only PDF from scratch. The file holds exactly:
// a catalog, a page tree, one page per image with one image XObject
// (8-bit gray or RGB, FlateDecode) and a content stream that paints it,
// and, when an OCR text layer is added, one shared standard font and
// invisible text (render mode 3). There is no document information
// dictionary, no XMP, no annotations, outlines, forms, actions or
// attachments, no ID, no dates, one revision: the same pages give the
// same bytes.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets []int // offsets[i] is the offset of object i+1
	kids    []int
	font    int // object number of the text-layer font, 0 until needed
}

// Object numbers 1 and 2 are the catalog and the page tree, written last.
func newPDFWriter() *pdfWriter {
	w := &pdfWriter{offsets: make([]int, 2)}
	// The binary comment marks the file as binary for transfer tools.
	w.buf.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	return w
}

func (w *pdfWriter) reserve() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets)
}

func (w *pdfWriter) begin(n int) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n", n)
}

func (w *pdfWriter) object(n int, body string) {
	w.begin(n)
	w.buf.WriteString(body)
	w.buf.WriteString("\nendobj\n")
}

func (w *pdfWriter) stream(n int, dict string, data []byte) {
	w.begin(n)
	fmt.Fprintf(&w.buf, "<<%s /Length %d>>\nstream\n", dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.DefaultCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// num formats a coordinate with at most 3 decimals, no exponent.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// rasterBytes returns the samples of img, gray when every pixel is gray.
func rasterBytes(img image.Image) (data []byte, colorSpace string) {
	b := img.Bounds()
	wd, ht := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		out := make([]byte, 0, wd*ht)
		for y := 0; y < ht; y++ {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			out = append(out, m.Pix[i:i+wd]...)
		}
		return out, "/DeviceGray"
	case *image.RGBA:
		isGray := true
		for y := 0; y < ht && isGray; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < wd; x++ {
				if row[4*x] != row[4*x+1] || row[4*x] != row[4*x+2] {
					isGray = false
					break
				}
			}
		}
		n := 3
		if isGray {
			n = 1
		}
		out := make([]byte, 0, wd*ht*n)
		for y := 0; y < ht; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < wd; x++ {
				if isGray {
					out = append(out, row[4*x])
				} else {
					out = append(out, row[4*x], row[4*x+1], row[4*x+2])
				}
			}
		}
		if isGray {
			return out, "/DeviceGray"
		}
		return out, "/DeviceRGB"
	}
	// Any other image: through RGBA (burn always returns Gray or RGBA).
	return rasterBytes(burn(img, nil, 0))
}

// addPage adds one page showing img at dpi (so the page keeps the size of
// the original) and, if words is not empty, an invisible text layer.
func (w *pdfWriter) addPage(img image.Image, dpi int, words []word) error {
	b := img.Bounds()
	if b.Empty() || dpi <= 0 {
		return errNoPages
	}
	pwPt := float64(b.Dx()) * 72 / float64(dpi)
	phPt := float64(b.Dy()) * 72 / float64(dpi)
	raw, cs := rasterBytes(img)

	page, content, im := w.reserve(), w.reserve(), w.reserve()
	w.stream(im, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /FlateDecode",
		b.Dx(), b.Dy(), cs), deflate(raw))

	var c bytes.Buffer
	fmt.Fprintf(&c, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", num(pwPt), num(phPt))
	fonts := ""
	if len(words) > 0 {
		if w.font == 0 {
			w.font = w.reserve()
			w.object(w.font, "<</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding>>")
		}
		fonts = fmt.Sprintf(" /Font <</F0 %d 0 R>>", w.font)
		textLayer(&c, words, pwPt, phPt)
	}
	w.stream(content, " /Filter /FlateDecode", deflate(c.Bytes()))
	w.object(page, fmt.Sprintf("<</Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources <</XObject <</Im0 %d 0 R>>%s>> /Contents %d 0 R>>",
		num(pwPt), num(phPt), im, fonts, content))
	w.kids = append(w.kids, page)
	return nil
}

// textLayer writes words as invisible text (render mode 3) over their
// boxes, each stretched to its box's width, so that the copy can be
// searched and selected. Helvetica's average glyph is about half an em
// wide; the horizontal scaling corrects for the rest.
func textLayer(c *bytes.Buffer, words []word, pw, ph float64) {
	enc := charmap.Windows1252.NewEncoder()
	c.WriteString("BT 3 Tr\n")
	for _, wd := range words {
		s, err := enc.String(wd.Text)
		if err != nil {
			// characters outside Windows-1252: keep the ones that fit
			var kept []rune
			for _, r := range wd.Text {
				if _, err := enc.String(string(r)); err == nil {
					kept = append(kept, r)
				} else {
					kept = append(kept, '?')
				}
			}
			s, _ = enc.String(string(kept))
		}
		if s == "" {
			continue
		}
		h := (wd.Y1 - wd.Y0) * ph
		wdt := (wd.X1 - wd.X0) * pw
		if h <= 0 || wdt <= 0 {
			continue
		}
		size := h
		scale := 100 * wdt / (0.5 * size * float64(len(s)))
		x := wd.X0 * pw
		y := ph - wd.Y1*ph + 0.2*h
		fmt.Fprintf(c, "/F0 %s Tf %s Tz 1 0 0 1 %s %s Tm ", num(size), num(scale), num(x), num(y))
		writePDFString(c, s)
		c.WriteString(" Tj\n")
	}
	c.WriteString("ET\n")
}

// writePDFString writes s as a literal string, escaping what must be.
func writePDFString(c *bytes.Buffer, s string) {
	c.WriteByte('(')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '(' || ch == ')' || ch == '\\':
			c.WriteByte('\\')
			c.WriteByte(ch)
		case ch < 0x20 || ch >= 0x7F:
			fmt.Fprintf(c, "\\%03o", ch)
		default:
			c.WriteByte(ch)
		}
	}
	c.WriteByte(')')
}

// finish writes the page tree, the catalog, the cross-reference table and
// the trailer, and returns the file.
func (w *pdfWriter) finish() ([]byte, error) {
	if len(w.kids) == 0 {
		return nil, errNoPages
	}
	var kids bytes.Buffer
	for i, k := range w.kids {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", k)
	}
	w.object(2, fmt.Sprintf("<</Type /Pages /Kids [%s] /Count %d>>", kids.String(), len(w.kids)))
	w.object(1, "<</Type /Catalog /Pages 2 0 R>>")
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, xref)
	return w.buf.Bytes(), nil
}
