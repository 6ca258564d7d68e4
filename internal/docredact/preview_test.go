package docredact

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// Page previews for the review page (DA-2: a handler adds areas by hand
// and needs to see where): the page's shape, boxes where the areas are,
// a bounded size, and a grid that stays out of every released copy.

func decodePreview(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the preview is not a PNG: %v", err)
	}
	return img
}

// at reads the pixel at fractions (fx, fy) of img as 8-bit gray.
func at(img image.Image, fx, fy float64) uint8 {
	b := img.Bounds()
	x := b.Min.X + int(fx*float64(b.Dx()))
	y := b.Min.Y + int(fy*float64(b.Dy()))
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

func blankPDF(pages int, mediaBox string) []byte {
	p := &testPDF{mediaBox: mediaBox}
	for i := 0; i < pages; i++ {
		p.pages = append(p.pages, textLine(72, 72, "Side"))
	}
	return p.bytes()
}

func whitePNG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPreviewPageHasThePagesAspectRatio(t *testing.T) {
	requireTools(t, "pdfinfo", "pdftoppm")
	for _, tc := range []struct {
		name     string
		mediaBox string
		ratio    float64
	}{
		{"letter portrait", "[0 0 612 792]", 612.0 / 792},
		{"A4 landscape", "[0 0 842 595]", 842.0 / 595},
		{"a long strip", "[0 0 200 1400]", 200.0 / 1400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PreviewPage(testCtx(t), blankPDF(3, tc.mediaBox), 2, nil, PreviewOptions{})
			if err != nil {
				t.Fatal(err)
			}
			img := decodePreview(t, p.PNG)
			b := img.Bounds()
			if p.Page != 2 || p.Pages != 3 || b.Dx() != p.Width || b.Dy() != p.Height {
				t.Errorf("preview %+v of a %dx%d image", p, b.Dx(), b.Dy())
			}
			if got := float64(b.Dx()) / float64(b.Dy()); math.Abs(got-tc.ratio) > 0.01 {
				t.Errorf("aspect ratio %.3f, the page's is %.3f", got, tc.ratio)
			}
			// 100 dpi by default: a letter page is 850 pixels wide.
			if tc.name == "letter portrait" && (b.Dx() < 840 || b.Dx() > 860) {
				t.Errorf("width %d pixels, want about 850 at 100 dpi", b.Dx())
			}
		})
	}
}

func TestPreviewPageBurnsAnAreaBlackWhereItIs(t *testing.T) {
	requireTools(t, "pdfinfo", "pdftoppm")
	area := Area{Page: 2, X: 0.55, Y: 0.62, W: 0.2, H: 0.1}
	other := Area{Page: 1, X: 0.05, Y: 0.05, W: 0.9, H: 0.9}
	for _, grid := range []bool{false, true} {
		p, err := PreviewPage(testCtx(t), blankPDF(2, ""), 2, []Area{area, other}, PreviewOptions{Grid: grid})
		if err != nil {
			t.Fatal(err)
		}
		img := decodePreview(t, p.PNG)
		for _, pt := range [][2]float64{{0.56, 0.63}, {0.65, 0.67}, {0.74, 0.71}} {
			if v := at(img, pt[0], pt[1]); v != 0 {
				t.Errorf("grid %v: inside the area at %v the preview is %d, not black", grid, pt, v)
			}
		}
		// Outside it the page is blank: the area of page 1 is not on page 2.
		for _, pt := range [][2]float64{{0.25, 0.25}, {0.45, 0.85}, {0.85, 0.45}} {
			if v := at(img, pt[0], pt[1]); v < 200 {
				t.Errorf("grid %v: outside the area at %v the preview is %d, not white", grid, pt, v)
			}
		}
	}
}

func TestPreviewPageOfAnImageBurnsTheAreaAndKeepsItsShape(t *testing.T) {
	src := whitePNG(t, 600, 300)
	p, err := PreviewPage(testCtx(t), src, 1, []Area{{Page: 1, X: 0.1, Y: 0.2, W: 0.3, H: 0.4}}, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := decodePreview(t, p.PNG)
	if b := img.Bounds(); b.Dx() != 600 || b.Dy() != 300 || p.Pages != 1 {
		t.Errorf("preview %dx%d of %d pages, want 600x300 of 1", b.Dx(), b.Dy(), p.Pages)
	}
	if at(img, 0.25, 0.4) != 0 || at(img, 0.8, 0.8) != 255 {
		t.Errorf("box at (25%%, 40%%) is %d, blank at (80%%, 80%%) is %d", at(img, 0.25, 0.4), at(img, 0.8, 0.8))
	}
}

func TestPreviewPageStaysWithinItsPixelBound(t *testing.T) {
	// A large image is scaled down with its shape kept.
	p, err := PreviewPage(testCtx(t), whitePNG(t, 4000, 2000), 1, nil, PreviewOptions{MaxPixels: 200_000})
	if err != nil {
		t.Fatal(err)
	}
	img := decodePreview(t, p.PNG)
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > 200_000 || math.Abs(float64(b.Dx())/float64(b.Dy())-2) > 0.01 {
		t.Errorf("a 4000x2000 image previews at %dx%d", b.Dx(), b.Dy())
	}
	// A PDF page claiming 100 inches square is rendered at a lower dpi.
	requireTools(t, "pdfinfo", "pdftoppm")
	p, err = PreviewPage(testCtx(t), blankPDF(1, "[0 0 7200 7200]"), 1, nil, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if px := int64(p.Width) * int64(p.Height); px > DefaultPreviewMaxPixels {
		t.Errorf("a 100-inch page previews at %dx%d", p.Width, p.Height)
	}
}

func TestPreviewGridNeverReachesTheRedactedCopy(t *testing.T) {
	requireTools(t, "pdfinfo", "pdftoppm")
	ctx := testCtx(t)
	src := blankPDF(1, "")
	// Points on grid lines (50 % across, 30 % down) away from the text.
	onGrid := [][2]float64{{0.5, 0.55}, {0.75, 0.3}}
	withGrid, err := PreviewPage(ctx, src, 1, nil, PreviewOptions{Grid: true})
	if err != nil {
		t.Fatal(err)
	}
	img := decodePreview(t, withGrid.PNG)
	for _, pt := range onGrid {
		if v := at(img, pt[0], pt[1]); v > 200 {
			t.Errorf("the grid preview shows no line at %v (%d)", pt, v)
		}
	}
	// The released copy is made by Redact, which has no grid: rendered
	// again, the same points are blank.
	out, err := Redact(ctx, "a.pdf", src, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := PreviewPage(ctx, out.Data, 1, nil, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img = decodePreview(t, plain.PNG)
	for _, pt := range onGrid {
		if v := at(img, pt[0], pt[1]); v < 240 {
			t.Errorf("the redacted copy has a mark at %v (%d): a grid line in the output", pt, v)
		}
	}
	// The same for an image copy.
	pngOut, err := Redact(ctx, "a.png", whitePNG(t, 300, 300), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	img = decodePreview(t, pngOut.Data)
	for _, pt := range onGrid {
		if v := at(img, pt[0], pt[1]); v != 255 {
			t.Errorf("the redacted image has a mark at %v (%d)", pt, v)
		}
	}
}

func TestPreviewPageRefusesWhatIsNotAPageOfTheFile(t *testing.T) {
	img := whitePNG(t, 50, 50)
	for _, tc := range []struct {
		name  string
		data  []byte
		page  int
		areas []Area
		want  error
	}{
		{"page zero", img, 0, nil, ErrNoPage},
		{"second page of an image", img, 2, nil, ErrNoPage},
		{"area outside the page", img, 1, []Area{{Page: 1, X: 0.9, Y: 0, W: 0.2, H: 0.1}}, ErrBadArea},
		{"area on another page of an image", img, 1, []Area{{Page: 2, X: 0, Y: 0, W: 0.1, H: 0.1}}, ErrBadArea},
		{"plain text", []byte("no pages here\n"), 1, nil, ErrUnsupported},
		{"garbage", []byte{0, 1, 2, 3, 0xff}, 1, nil, ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PreviewPage(testCtx(t), tc.data, tc.page, tc.areas, PreviewOptions{}); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	requireTools(t, "pdfinfo", "pdftoppm")
	if _, err := PreviewPage(testCtx(t), blankPDF(2, ""), 3, nil, PreviewOptions{}); !errors.Is(err, ErrNoPage) {
		t.Errorf("page 3 of 2: %v", err)
	}
}

// BenchmarkPreviewPage renders one page of the 10-page benchmark PDF with
// three areas and the grid, as the review page's image route does for each
// page it shows.
func BenchmarkPreviewPage(b *testing.B) {
	requireTools(b, "pdfinfo", "pdftoppm")
	data := benchPDF()
	areas := []Area{{Page: 4, X: 0.1, Y: 0.1, W: 0.3, H: 0.02}, {Page: 4, X: 0.1, Y: 0.5, W: 0.3, H: 0.02}, {Page: 5, X: 0.1, Y: 0.1, W: 0.3, H: 0.02}}
	ResetToolUsage()
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		p, err := PreviewPage(testCtx(b), data, 4, areas, PreviewOptions{Grid: true})
		if err != nil {
			b.Fatal(err)
		}
		size = len(p.PNG)
	}
	b.ReportMetric(float64(size)/1024, "png-KiB")
	reportPeaks(b)
}
