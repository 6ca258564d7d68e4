package docredact

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/detect"
)

// word is one word on a page with its box in page fractions.
type word struct {
	Text           string
	X0, Y0, X1, Y1 float64
	Line           int // words with the same Line are on one line
	Block          int // lines with the same Block form a paragraph
}

// pageText is the words of one page in reading order.
type pageText struct {
	Page  int
	Words []word
}

// Limits of the layout parsers: a hostile PDF can make pdftotext print
// millions of words; beyond these the page is refused, not truncated, so
// nothing goes unanalysed silently.
const (
	maxWordsPerPage = 200_000
	maxWordLen      = 4096
)

var errLayout = errors.New("docredact: malformed layout")

// layoutText joins the words into the text the detectors see: a space
// between the words of a line, a newline between lines, an empty line
// between blocks. starts[i] is the byte offset of word i in the text.
func (p *pageText) layoutText() (string, []int) {
	var b strings.Builder
	starts := make([]int, len(p.Words))
	for i, w := range p.Words {
		if i > 0 {
			prev := p.Words[i-1]
			switch {
			case w.Block != prev.Block:
				b.WriteString("\n\n")
			case w.Line != prev.Line:
				b.WriteByte('\n')
			default:
				b.WriteByte(' ')
			}
		}
		starts[i] = b.Len()
		b.WriteString(w.Text)
	}
	return b.String(), starts
}

// findings runs eng over the page's text and maps every finding to the
// boxes of the words it touches, one area per line.
func (p *pageText) findings(eng *detect.Engine, source string) []Finding {
	text, starts := p.layoutText()
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var out []Finding
	for _, f := range eng.Scan(text) {
		out = append(out, Finding{Finding: f, Page: p.Page, Source: source, Areas: p.areas(starts, f.Start, f.End)})
	}
	return out
}

// areas returns, for the byte span [start, end) of the layout text, the
// union of the word boxes on each line it touches. A finding that starts or
// ends inside a word covers the whole word: a box never leaves part of a
// value readable.
func (p *pageText) areas(starts []int, start, end int) []Area {
	var out []Area
	cur := -1
	var x0, y0, x1, y1 float64
	flush := func() {
		if cur >= 0 {
			if a, ok := clampArea(Area{Page: p.Page, X: x0, Y: y0, W: x1 - x0, H: y1 - y0}); ok {
				out = append(out, a)
			}
		}
	}
	for i, w := range p.Words {
		ws, we := starts[i], starts[i]+len(w.Text)
		if we <= start || ws >= end {
			continue
		}
		if w.Line != cur {
			flush()
			cur = w.Line
			x0, y0, x1, y1 = w.X0, w.Y0, w.X1, w.Y1
			continue
		}
		x0, y0 = math.Min(x0, w.X0), math.Min(y0, w.Y0)
		x1, y1 = math.Max(x1, w.X1), math.Max(y1, w.Y1)
	}
	flush()
	return out
}

// clampArea cuts a to the page; an area wholly outside it (text placed off
// the page, which a rasterised copy drops anyway) is reported as !ok.
func clampArea(a Area) (Area, bool) {
	if !finite(a.X, a.Y, a.W, a.H) {
		return Area{}, false
	}
	x0, y0 := math.Max(a.X, 0), math.Max(a.Y, 0)
	x1, y1 := math.Min(a.X+a.W, 1), math.Min(a.Y+a.H, 1)
	if x1 <= x0 || y1 <= y0 {
		return Area{}, false
	}
	return Area{Page: a.Page, X: x0, Y: y0, W: x1 - x0, H: y1 - y0}, true
}

func finite(fs ...float64) bool {
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

// parseBBoxLayout reads the XHTML that "pdftotext -bbox-layout" prints: one
// <page width height> per page holding <block>, <line> and <word xMin yMin
// xMax yMax> elements, coordinates in points from the top-left corner. It
// accepts the output of any poppler version and refuses, rather than
// guesses at, anything it cannot read.
func parseBBoxLayout(r io.Reader) ([]pageText, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var pages []pageText
	var pw, ph float64
	var inWord bool
	var cur word
	var text strings.Builder
	line, block := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errLayout, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "page":
				pw, ph = attrFloat(t.Attr, "width"), attrFloat(t.Attr, "height")
				if !(pw > 0 && ph > 0) || !finite(pw, ph) {
					return nil, fmt.Errorf("%w: page %d has no size", errLayout, len(pages)+1)
				}
				pages = append(pages, pageText{Page: len(pages) + 1})
			case "block":
				block++
			case "line":
				line++
			case "word":
				if len(pages) == 0 {
					return nil, fmt.Errorf("%w: word outside a page", errLayout)
				}
				cur = word{
					X0: attrFloat(t.Attr, "xMin") / pw, Y0: attrFloat(t.Attr, "yMin") / ph,
					X1: attrFloat(t.Attr, "xMax") / pw, Y1: attrFloat(t.Attr, "yMax") / ph,
					Line: line, Block: block,
				}
				inWord = true
				text.Reset()
			}
		case xml.CharData:
			if inWord && text.Len() < maxWordLen {
				text.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == "word" && inWord {
				inWord = false
				cur.Text = strings.TrimSpace(text.String())
				p := &pages[len(pages)-1]
				if cur.Text == "" || !finite(cur.X0, cur.Y0, cur.X1, cur.Y1) {
					continue
				}
				if len(p.Words) >= maxWordsPerPage {
					return nil, fmt.Errorf("%w: page %d has more than %d words", errLayout, p.Page, maxWordsPerPage)
				}
				p.Words = append(p.Words, cur)
			}
		}
	}
	return pages, nil
}

func attrFloat(attrs []xml.Attr, name string) float64 {
	for _, a := range attrs {
		if a.Name.Local == name {
			f, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
			if err != nil {
				return math.NaN()
			}
			return f
		}
	}
	return math.NaN()
}

// parseTesseractTSV reads tesseract's TSV output (level, page_num,
// block_num, par_num, line_num, word_num, left, top, width, height, conf,
// text) for one image and returns its words with boxes in fractions of the
// image; the level-1 row gives the image's size.
func parseTesseractTSV(data []byte, page int) (pageText, error) {
	pt := pageText{Page: page}
	var iw, ih float64
	// tesseract writes tab-separated fields without quoting: a '"' in a
	// word is a character, so encoding/csv would misread it.
	for i, line := range bytes.Split(data, []byte("\n")) {
		rec := strings.Split(strings.TrimSuffix(string(line), "\r"), "\t")
		if i == 0 && rec[0] == "level" {
			continue
		}
		if len(rec) < 11 {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			v, err := strconv.Atoi(strings.TrimSpace(rec[i]))
			if err != nil {
				return pt, fmt.Errorf("%w: tsv field %d is not a number", errLayout, i+1)
			}
			n[i] = v
		}
		level, blk, par, ln := n[0], n[2], n[3], n[4]
		left, top, w, h := float64(n[6]), float64(n[7]), float64(n[8]), float64(n[9])
		switch level {
		case 1:
			iw, ih = w, h
		case 5:
			if len(rec) < 12 {
				continue
			}
			txt := strings.TrimSpace(rec[11])
			if txt == "" {
				continue
			}
			if len(txt) > maxWordLen {
				txt = txt[:maxWordLen]
			}
			if !(iw > 0 && ih > 0) {
				return pt, fmt.Errorf("%w: tsv word before the page size", errLayout)
			}
			if len(pt.Words) >= maxWordsPerPage {
				return pt, fmt.Errorf("%w: more than %d words", errLayout, maxWordsPerPage)
			}
			// Lines are numbered within a paragraph, paragraphs within a
			// block: combine them into ids unique on the page.
			pt.Words = append(pt.Words, word{
				Text: txt,
				X0:   left / iw, Y0: top / ih, X1: (left + w) / iw, Y1: (top + h) / ih,
				Line:  (blk*1000+par)*10000 + ln,
				Block: blk*1000 + par,
			})
		}
	}
	return pt, nil
}
