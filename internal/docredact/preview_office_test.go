package docredact

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"testing"

	"github.com/varsel/varsel/internal/officetest"
)

// Page previews of an office file from a conversion kept by the caller
// (DA-2 review pages): LibreOffice runs once, not once per page shown.

// pagedDOCX is a Word document whose pages each start with a page break
// and hold their lines as paragraphs.
func pagedDOCX(pages int) []byte {
	out := make([][]string, pages)
	for p := range out {
		for l := 0; l < 20; l++ {
			line := fmt.Sprintf("Side %d, linje %d: saken gjelder arbeidsmiljoet ved avdelingen.", p+1, l+1)
			if l == 3 {
				line = "Klager: " + testName + ", f.nr. " + testFnr
			}
			out[p] = append(out[p], line)
		}
	}
	return officetest.DOCX(out...)
}

// samePixels tells whether two images have the same size and colours.
func samePixels(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, a1 := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

func TestPreviewConvertedPageRendersTheOfficePagesWithoutConvertingAgain(t *testing.T) {
	requireTools(t, "soffice", "pdfinfo", "pdftoppm", "pdftotext")
	ctx := testCtx(t)
	docx := pagedDOCX(3)
	if !IsOffice(docx) || IsOffice(blankPDF(1, "")) {
		t.Fatal("IsOffice does not tell a DOCX from a PDF")
	}

	// Analyse keeps the conversion it made when asked to.
	before := OfficeConversions()
	a, err := Analyse(ctx, "long.docx", docx, Options{KeepConverted: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := OfficeConversions() - before; n != 1 {
		t.Fatalf("Analyse converted %d times, want 1", n)
	}
	if a.Pages != 3 || !bytes.HasPrefix(a.Converted, []byte("%PDF-")) {
		t.Fatalf("analysis of %d pages with %d bytes of conversion", a.Pages, len(a.Converted))
	}
	if plain, err := Analyse(ctx, "long.docx", docx, Options{}); err != nil || plain.Converted != nil {
		t.Fatalf("without KeepConverted: %v, %d bytes kept", err, len(plain.Converted))
	}

	areas := []Area{{Page: 2, X: 0.1, Y: 0.1, W: 0.5, H: 0.05}, {Page: 3, X: 0.2, Y: 0.5, W: 0.3, H: 0.1}}
	before = OfficeConversions()
	kept := make([]image.Image, 4)
	for page := 1; page <= 3; page++ {
		p, err := PreviewConvertedPage(ctx, a.Converted, page, areas, PreviewOptions{Grid: true})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if p.Page != page || p.Pages != 3 {
			t.Errorf("page %d: preview of page %d of %d", page, p.Page, p.Pages)
		}
		kept[page] = decodePreview(t, p.PNG)
	}
	if n := OfficeConversions() - before; n != 0 {
		t.Errorf("previews of the kept conversion converted %d times", n)
	}

	// The kept conversion shows what converting the office file again
	// shows, pixel for pixel, boxes and grid included.
	for _, page := range []int{2, 3} {
		p, err := PreviewPage(ctx, docx, page, areas, PreviewOptions{Grid: true})
		if err != nil {
			t.Fatal(err)
		}
		if !samePixels(kept[page], decodePreview(t, p.PNG)) {
			t.Errorf("page %d from the kept conversion differs from a fresh conversion", page)
		}
	}
	if n := OfficeConversions() - before; n != 2 {
		t.Errorf("two previews of the office file converted %d times, want 2", n)
	}

	// Converting by itself gives a PDF of the same pages.
	pdf, err := ConvertOffice(ctx, docx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := PreviewConvertedPage(ctx, pdf, 3, areas, PreviewOptions{Grid: true})
	if err != nil || !samePixels(kept[3], decodePreview(t, p.PNG)) {
		t.Errorf("page 3 of ConvertOffice's PDF: %v, or its pixels differ", err)
	}
}

func TestPreviewConvertedPageRefusesWhatIsNotAConvertedPage(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		page int
		want error
	}{
		{"an image", whitePNG(t, 20, 20), 1, ErrMalformed},
		{"an office file itself", pagedDOCX(1), 1, ErrMalformed},
		{"page zero", blankPDF(1, ""), 0, ErrNoPage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PreviewConvertedPage(testCtx(t), tc.data, tc.page, nil, PreviewOptions{}); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	small := DefaultTools
	small.MaxInput = 10
	if _, err := PreviewConvertedPage(testCtx(t), blankPDF(1, ""), 1, nil, PreviewOptions{Tools: &small}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a PDF above MaxInput: %v", err)
	}
	if _, err := ConvertOffice(testCtx(t), blankPDF(1, ""), Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("converting a PDF: %v", err)
	}
	requireTools(t, "pdfinfo", "pdftoppm")
	if _, err := PreviewConvertedPage(testCtx(t), blankPDF(2, ""), 3, nil, PreviewOptions{}); !errors.Is(err, ErrNoPage) {
		t.Errorf("page 3 of 2: %v", err)
	}
}

// BenchmarkPreviewOfficePages shows pages 1 to 5 of a 10-page DOCX with
// the grid, as one view of the review page does: converting the file for
// each page (PreviewPage on the DOCX) against converting it once and
// rendering each page from the PDF (PreviewConvertedPage), the conversion
// counted in each iteration.
func BenchmarkPreviewOfficePages(b *testing.B) {
	requireTools(b, "soffice", "pdfinfo", "pdftoppm")
	docx := pagedDOCX(10)
	b.Run("convert-each-page", func(b *testing.B) {
		for b.Loop() {
			for page := 1; page <= 5; page++ {
				if _, err := PreviewPage(testCtx(b), docx, page, nil, PreviewOptions{Grid: true}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/5-pages")
	})
	b.Run("converted-once", func(b *testing.B) {
		for b.Loop() {
			pdf, err := ConvertOffice(testCtx(b), docx, Options{})
			if err != nil {
				b.Fatal(err)
			}
			for page := 1; page <= 5; page++ {
				if _, err := PreviewConvertedPage(testCtx(b), pdf, page, nil, PreviewOptions{Grid: true}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/5-pages")
	})
}
