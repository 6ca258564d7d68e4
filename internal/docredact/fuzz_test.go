package docredact

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/detect"
)

const sampleBBox = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head><title></title></head>
<body>
<doc>
  <page width="612.000000" height="792.000000">
    <flow><block xMin="72" yMin="80" xMax="300" yMax="96">
      <line xMin="72" yMin="80" xMax="300" yMax="96">
        <word xMin="72.000000" yMin="80.000000" xMax="120.000000" yMax="96.000000">Klager:</word>
        <word xMin="124.000000" yMin="80.000000" xMax="160.000000" yMax="96.000000">Kari</word>
        <word xMin="164.000000" yMin="80.000000" xMax="230.000000" yMax="96.000000">Nordmann</word>
      </line>
      <line xMin="72" yMin="100" xMax="300" yMax="116">
        <word xMin="72" yMin="100" xMax="100" yMax="116">&amp;</word>
      </line>
    </block></flow>
  </page>
  <page width="595" height="842"></page>
</doc>
</body>
</html>`

func TestParseBBoxLayoutMapsNamesToWordBoxes(t *testing.T) {
	pages, err := parseBBoxLayout(strings.NewReader(sampleBBox))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || len(pages[0].Words) != 4 || len(pages[1].Words) != 0 {
		t.Fatalf("pages %+v", pages)
	}
	if w := pages[0].Words[3]; w.Text != "&" || w.Line == pages[0].Words[0].Line {
		t.Errorf("entity or line lost: %+v", w)
	}
	fs := pages[0].findings(detect.Default().With(detect.NewPersons(testPersons)), "text")
	if len(fs) != 1 || fs[0].Type != "PERSON" || len(fs[0].Areas) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	a := fs[0].Areas[0]
	if d := a.X - 124.0/612; d > 1e-9 || d < -1e-9 || a.W < (230.0-124)/612-1e-9 {
		t.Errorf("area %+v does not cover both words", a)
	}
}

func TestParseBBoxLayoutRefusesPagesWithoutSize(t *testing.T) {
	for _, in := range []string{`<page><word xMin="1" yMin="1" xMax="2" yMax="2">x</word></page>`, `<word xMin="1">x</word>`} {
		if _, err := parseBBoxLayout(strings.NewReader(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

const sampleTSV = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
	"1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t\n" +
	"5\t1\t1\t1\t1\t1\t100\t200\t80\t30\t96\tKari\n" +
	"5\t1\t1\t1\t1\t2\t190\t200\t150\t30\t95\tNordmann\n" +
	"5\t1\t1\t1\t2\t1\t100\t240\t80\t30\t95\t\"quoted\n"

func TestParseTesseractTSVKeepsLinesAndQuotes(t *testing.T) {
	pt, err := parseTesseractTSV([]byte(sampleTSV), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(pt.Words) != 3 || pt.Words[2].Text != `"quoted` || pt.Words[0].Line != pt.Words[1].Line || pt.Words[1].Line == pt.Words[2].Line {
		t.Fatalf("words %+v", pt.Words)
	}
	if w := pt.Words[0]; w.X0 != 0.1 || w.Y0 != 0.1 || w.X1 != 0.18 || w.Y1 != 0.115 {
		t.Errorf("box %+v", w)
	}
	text, _ := pt.layoutText()
	if text != "Kari Nordmann\n\"quoted" {
		t.Errorf("text %q", text)
	}
}

func TestScanPDFDecodesNamesStringsAndStreams(t *testing.T) {
	p := &testPDF{pages: []string{"BT /F1 12 Tf (Ka\\162i \\(x\\)) Tj <4E6F72> Tj ET"}, compress: true}
	p.pageExtra = "/J#53 (y)"
	s := scanPDF(p.bytes())
	if s.names["JS"] != 1 {
		t.Errorf("escaped name /J#53 not read as /JS: %v", s.names)
	}
	joined := strings.Join(s.strings, "|")
	if !strings.Contains(joined, "Kari (x)") || !strings.Contains(joined, "Nor") {
		t.Errorf("strings %q", joined)
	}
	if s.eofs != 1 || s.startxref != 1 || len(s.streams) != 1 {
		t.Errorf("eofs %d startxref %d streams %d", s.eofs, s.startxref, len(s.streams))
	}
}

func FuzzParseBBoxLayout(f *testing.F) {
	f.Add([]byte(sampleBBox))
	f.Add([]byte(`<page width="1e308" height="-0"><word xMin="NaN">x</word></page>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, err := parseBBoxLayout(bytes.NewReader(b))
		if err != nil {
			return
		}
		eng := detect.Default()
		for i := range pages {
			for _, f := range pages[i].findings(eng, "text") {
				for _, a := range f.Areas {
					if checkArea(a) != nil {
						t.Fatalf("area %+v outside the page", a)
					}
				}
			}
		}
	})
}

func FuzzParseTesseractTSV(f *testing.F) {
	f.Add([]byte(sampleTSV))
	f.Add([]byte("5\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\tx\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := parseTesseractTSV(b, 1)
		if err != nil {
			return
		}
		text, starts := pt.layoutText()
		for i, w := range pt.Words {
			if text[starts[i]:starts[i]+len(w.Text)] != w.Text {
				t.Fatal("word offsets do not point into the layout text")
			}
		}
	})
}

func FuzzScanPDF(f *testing.F) {
	f.Add((&testPDF{pages: []string{visible}, compress: true}).bytes())
	for _, tc := range adversarialPDFs() {
		f.Add(tc.data)
	}
	f.Add([]byte("%PDF-1.7\n1 0 obj <</Filter /FlateDecode>> stream\nx\x9c"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := scanPDF(b)
		_ = s
		m := newMatcher([]string{testName, testFnr})
		m.find(latin1(b), true)
	})
}

func FuzzDecodePNM(f *testing.F) {
	f.Add([]byte("P5\n2 2\n255\n\x00\x01\x02\x03"))
	f.Add([]byte("P6 # c\n1 1 255\n\x00\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodePNM(bufio.NewReader(bytes.NewReader(b)), 1<<20)
		if err != nil {
			return
		}
		if img.Bounds().Dx()*img.Bounds().Dy() > 1<<20 {
			t.Fatal("pixel limit not enforced")
		}
	})
}

// FuzzRedactImage drives the image path (sniffing, decoding with the
// orientation applied, burning boxes, re-encoding) with arbitrary bytes
// and areas: it must return an error or a PNG, never panic.
func FuzzRedactImage(f *testing.F) {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
	f.Add(buf.Bytes(), 0.1, 0.1, 0.5, 0.5)
	f.Add([]byte("\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08"), 0.0, 0.0, 1.0, 1.0)
	tools := DefaultTools
	tools.MaxPagePixels = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte, x, y, w, h float64) {
		res, err := Redact(context.Background(), "f", b, []Area{{Page: 1, X: x, Y: y, W: w, H: h}}, Options{Tools: &tools})
		if err != nil || res.MediaType != "image/png" {
			return
		}
		if _, err := png.Decode(bytes.NewReader(res.Data)); err != nil {
			t.Fatalf("output is not a PNG: %v", err)
		}
	})
}
