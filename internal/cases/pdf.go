package cases

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"github.com/varsel/varsel/internal/questionnaire"
)

// PDF output for disclosure notes and case exports, written in memory
// (never to disk) with github.com/go-pdf/fpdf. The text is set in the Go
// fonts (golang.org/x/image/font/gofont, BSD licence, already a
// dependency), embedded as TrueType subsets, so that reports in Polish,
// Czech, Greek, Cyrillic or Northern, Lule and Southern Sami print as
// written: the fonts cover WGL4 (Latin-1, Latin Extended-A, Greek,
// Cyrillic). A character outside them (the Latin Extended-B letters of
// Skolt and Inari Sami such as ǥ ǧ ǩ ǯ, CJK, emoji) prints as its base
// letter when it has one (ǧ → g), else as "?"; pdfText does that, so a
// glyph never silently vanishes. The original text stays in the case and
// in the export's files.
//
// Output is deterministic: the creation and modification dates are the
// time of the document's content (passed in), the objects are written in
// a fixed order, and the only metadata is the title and "Varsel" as the
// creator; no author, no user, no host.

// pdfLang is the language of question labels in PDFs.
const pdfLang = "en"

// pdfFamily is the family name the embedded fonts are registered under.
const pdfFamily = "gosans"

// pdfFonts are the embedded styles: regular, bold and italic.
var pdfFonts = []struct {
	style string
	ttf   []byte
}{{"", goregular.TTF}, {"B", gobold.TTF}, {"I", goitalic.TTF}}

// pdfGlyphs tells, for every rune of the Basic Multilingual Plane, whether
// all embedded styles have a glyph for it. Built once, on first use.
var pdfGlyphs = sync.OnceValue(func() *[0x10000 / 64]uint64 {
	var set [0x10000 / 64]uint64
	var fonts []*sfnt.Font
	for _, f := range pdfFonts {
		ft, err := sfnt.Parse(f.ttf)
		if err != nil {
			panic(fmt.Sprintf("cases: embedded font does not parse: %v", err)) // a build defect, not input
		}
		fonts = append(fonts, ft)
	}
	var b sfnt.Buffer
	for r := rune(0x20); r < 0x10000; r++ {
		ok := true
		for _, ft := range fonts {
			if i, err := ft.GlyphIndex(&b, r); err != nil || i == 0 {
				ok = false
				break
			}
		}
		if ok {
			set[r/64] |= 1 << (r % 64)
		}
	}
	return &set
})

// pdfHasGlyph tells whether r prints in the embedded fonts.
func pdfHasGlyph(r rune) bool {
	if r < 0 || r >= 0x10000 {
		return false
	}
	return pdfGlyphs()[r/64]&(1<<(r%64)) != 0
}

// pdfText prepares text for the embedded fonts: line breaks and tabs are
// kept, other control characters dropped, text is composed (NFC), and a
// character the fonts lack becomes its base letter, or "?".
func pdfText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case r == '\r', unicode.IsControl(r), r == '\u00ad', unicode.Is(unicode.Cf, r):
			// Carriage returns, soft hyphens and format characters
			// (bidi marks, zero-width joiners) have nothing to draw.
		case pdfHasGlyph(r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteString(pdfFallback(r))
		}
	}
	return b.String()
}

// pdfFallback is what prints for a rune the fonts lack: the printable
// part of its decomposition (ǧ → g), or "?".
func pdfFallback(r rune) string {
	var out strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if d != r && pdfHasGlyph(d) && !unicode.Is(unicode.Mn, d) {
			out.WriteRune(d)
		}
	}
	if out.Len() == 0 {
		return "?"
	}
	return out.String()
}

type pdfDoc struct {
	f *fpdf.Fpdf
}

// tr prepares text for the page.
func (d *pdfDoc) tr(s string) string { return pdfText(s) }

// newPDF starts a document titled title; at is the time of its content,
// used as the creation and modification date so that the same content
// gives the same bytes.
func newPDF(title string, at time.Time) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	for _, ft := range pdfFonts {
		f.AddUTF8FontFromBytes(pdfFamily, ft.style, ft.ttf)
	}
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.SetCatalogSort(true)
	at = at.UTC().Truncate(time.Second)
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCreator("Varsel", true)
	d := &pdfDoc{f: f}
	f.SetTitle(pdfText(title), true)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont(pdfFamily, "", 8)
		f.CellFormat(0, 10, fmt.Sprintf("%d / {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont(pdfFamily, "B", 16)
	f.MultiCell(0, 8, d.tr(title), "", "L", false)
	f.Ln(2)
	return d
}

// heading starts a section.
func (d *pdfDoc) heading(s string) {
	d.f.Ln(3)
	d.f.SetFont(pdfFamily, "B", 13)
	d.f.MultiCell(0, 7, d.tr(s), "", "L", false)
	d.f.Ln(1)
}

// field writes a bold label and its value.
func (d *pdfDoc) field(label, value string) {
	d.f.SetFont(pdfFamily, "B", 10)
	d.f.MultiCell(0, 5, d.tr(label), "", "L", false)
	d.f.SetFont(pdfFamily, "", 10)
	if value == "" {
		value = "-"
	}
	d.f.MultiCell(0, 5, d.tr(value), "", "L", false)
	d.f.Ln(1.5)
}

// para writes plain text.
func (d *pdfDoc) para(s string) {
	d.f.SetFont(pdfFamily, "", 10)
	d.f.MultiCell(0, 5, d.tr(s), "", "L", false)
	d.f.Ln(1)
}

// small writes a line in grey, smaller type.
func (d *pdfDoc) small(s string) {
	d.f.SetFont(pdfFamily, "I", 9)
	d.f.SetTextColor(90, 90, 90)
	d.f.MultiCell(0, 4.5, d.tr(s), "", "L", false)
	d.f.SetTextColor(0, 0, 0)
}

func (d *pdfDoc) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("cases: write pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// pdfTime formats a time for a PDF in loc.
func pdfTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// answerText renders an answer for reading: choice ids become their
// labels.
func answerText(q questionnaire.Question, v any) string {
	label := func(id string) string {
		for _, o := range q.Options {
			if o.ID == id {
				return o.Label.In(pdfLang)
			}
		}
		return id
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if q.Kind == questionnaire.KindChoice {
			return label(x)
		}
		return x
	case []string:
		out := make([]string, len(x))
		for i, id := range x {
			out[i] = label(id)
		}
		return strings.Join(out, ", ")
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, label(fmt.Sprint(e)))
		}
		return strings.Join(out, ", ")
	}
	return fmt.Sprint(v)
}

// questionLabel is a question's label in the PDF language, or its id.
func questionLabel(q questionnaire.Questionnaire, id string) (questionnaire.Question, string) {
	qq, ok := q.Question(id)
	if !ok {
		return questionnaire.Question{ID: id}, id
	}
	if l := qq.Label.In(pdfLang); l != "" {
		return qq, l
	}
	return qq, id
}

// authorWord names a message's author without naming a person.
func authorWord(authorType string) string {
	switch authorType {
	case "whistleblower":
		return "Whistleblower"
	case "staff":
		return "Handler"
	}
	return authorType
}
