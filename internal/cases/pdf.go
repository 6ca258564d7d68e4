package cases

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/varsel/varsel/internal/questionnaire"
)

// PDF output for disclosure notes and case exports, written in memory
// (never to disk) with github.com/go-pdf/fpdf and its core Helvetica font.
// The core fonts are cp1252: text is translated with fpdf's cp1252
// translator, which covers Danish, Norwegian, Swedish, German and the other
// Western European letters (æ ø å ä ö ü é …); a character outside cp1252
// (Cyrillic, Greek, CJK, emoji) prints as ".". Embedding a Unicode font
// would lift that limit at the cost of a larger binary and output.

// pdfLang is the language of question labels in PDFs.
const pdfLang = "en"

type pdfDoc struct {
	f  *fpdf.Fpdf
	tr func(string) string
}

func newPDF(title string) *pdfDoc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.SetCreator("Varsel", true)
	d := &pdfDoc{f: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	f.SetTitle(title, true)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(0, 10, fmt.Sprintf("%d / {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(0, 8, d.tr(title), "", "L", false)
	f.Ln(2)
	return d
}

// heading starts a section.
func (d *pdfDoc) heading(s string) {
	d.f.Ln(3)
	d.f.SetFont("Helvetica", "B", 13)
	d.f.MultiCell(0, 7, d.tr(s), "", "L", false)
	d.f.Ln(1)
}

// field writes a bold label and its value.
func (d *pdfDoc) field(label, value string) {
	d.f.SetFont("Helvetica", "B", 10)
	d.f.MultiCell(0, 5, d.tr(label), "", "L", false)
	d.f.SetFont("Helvetica", "", 10)
	if value == "" {
		value = "-"
	}
	d.f.MultiCell(0, 5, d.tr(value), "", "L", false)
	d.f.Ln(1.5)
}

// para writes plain text.
func (d *pdfDoc) para(s string) {
	d.f.SetFont("Helvetica", "", 10)
	d.f.MultiCell(0, 5, d.tr(s), "", "L", false)
	d.f.Ln(1)
}

// small writes a line in grey, smaller type.
func (d *pdfDoc) small(s string) {
	d.f.SetFont("Helvetica", "I", 9)
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
