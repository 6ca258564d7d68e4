package docredact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	xdraw "golang.org/x/image/draw"

	"github.com/varsel/varsel/internal/scrub"
)

// ErrNoPage reports a preview of a page the file does not have.
var ErrNoPage = errors.New("docredact: no such page")

// Preview limits: a review page shows a few pages at once in a browser,
// so a page is rendered at screen resolution, never at the output's.
const (
	DefaultPreviewDPI       = 100
	DefaultPreviewMaxPixels = 2_500_000 // an A4 page at 100 dpi is about 1 million
)

// PreviewOptions control PreviewPage.
type PreviewOptions struct {
	DPI       int   // resolution of a PDF page; 0 means DefaultPreviewDPI
	MaxPixels int64 // bound on the preview's pixels; 0 means DefaultPreviewMaxPixels
	// Grid draws light lines and labels every 10 % of the page's width
	// and height, so that a handler can read an area's x, y, w and h off
	// the image without JavaScript. It is drawn on the preview only:
	// Redact has no such option, so it cannot reach a released copy.
	Grid  bool
	Tools *Tools // nil means DefaultTools
}

// Preview is one page of a file as its redacted copy shows it.
type Preview struct {
	PNG    []byte
	Page   int // the page shown, from 1
	Pages  int // pages of the file
	Width  int // pixels
	Height int
}

// PreviewPage renders page (from 1) of a file with the areas burnt in, as
// a PNG for the review page. It runs the same rendering and burning as
// Redact, in the same sandbox, so what the handler sees is what the copy
// will show; give it the original with the current areas, or an already
// redacted copy with none. Plain text has no pages: ErrUnsupported.
func PreviewPage(ctx context.Context, data []byte, page int, areas []Area, opt PreviewOptions) (*Preview, error) {
	t := opt.tools()
	if page < 1 {
		return nil, fmt.Errorf("%w: page %d", ErrNoPage, page)
	}
	k, err := t.kindOf(data)
	if err != nil {
		return nil, err
	}
	return t.preview(ctx, data, k, page, areas, opt)
}

// PreviewConvertedPage is PreviewPage for an office file given as the PDF
// that ConvertOffice (or Analyse with KeepConverted) made of it: the same
// rendering, sandbox and burning, without running LibreOffice again, so
// its pixels are those PreviewPage gives for the office file itself. The
// PDF is parsed as untrusted input like any other.
func PreviewConvertedPage(ctx context.Context, pdf []byte, page int, areas []Area, opt PreviewOptions) (*Preview, error) {
	t := opt.tools()
	if page < 1 {
		return nil, fmt.Errorf("%w: page %d", ErrNoPage, page)
	}
	if int64(len(pdf)) > t.MaxInput {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d MiB", ErrTooLarge, len(pdf), t.MaxInput>>20)
	}
	if scrub.Detect(bytes.NewReader(pdf), int64(len(pdf))) != scrub.KindPDF {
		return nil, fmt.Errorf("%w: a converted office file is not a PDF", ErrMalformed)
	}
	return t.preview(ctx, pdf, scrub.KindPDF, page, areas, opt)
}

func (opt PreviewOptions) tools() *Tools {
	if opt.Tools != nil {
		return opt.Tools
	}
	return &DefaultTools
}

// preview renders page of data, of kind k, for PreviewPage and
// PreviewConvertedPage.
func (t *Tools) preview(ctx context.Context, data []byte, k scrub.Kind, page int, areas []Area, opt PreviewOptions) (*Preview, error) {
	dpi := opt.DPI
	if dpi <= 0 {
		dpi = DefaultPreviewDPI
	}
	maxPx := opt.MaxPixels
	if maxPx <= 0 {
		maxPx = DefaultPreviewMaxPixels
	}
	if maxPx > t.MaxPagePixels {
		maxPx = t.MaxPagePixels
	}
	if k == kindText {
		return nil, fmt.Errorf("%w: plain text has no pages to preview", ErrUnsupported)
	}
	for _, a := range areas {
		if err := checkArea(a); err != nil {
			return nil, err
		}
	}
	var (
		img   image.Image
		pages int
		err   error
	)
	switch {
	case k.IsImage():
		img, pages, err = t.previewImage(data, k, page, areas, maxPx)
	case k == scrub.KindPDF:
		img, pages, err = t.previewPDF(ctx, data, "", page, areas, dpi, maxPx)
	case k.IsOOXML() || k.IsODF():
		img, pages, err = t.previewPDF(ctx, data, k, page, areas, dpi, maxPx)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, k)
	}
	if err != nil {
		return nil, err
	}
	if opt.Grid {
		img = drawGrid(img)
	}
	out, err := encodePNG(img)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	return &Preview{PNG: out, Page: page, Pages: pages, Width: b.Dx(), Height: b.Dy()}, nil
}

func (t *Tools) previewImage(data []byte, kind scrub.Kind, page int, areas []Area, maxPx int64) (image.Image, int, error) {
	if page != 1 {
		return nil, 1, fmt.Errorf("%w: an image has one page, not %d", ErrNoPage, page)
	}
	for _, a := range areas {
		if a.Page != 1 {
			return nil, 1, fmt.Errorf("%w: an image has one page, an area is on page %d", ErrBadArea, a.Page)
		}
	}
	img, err := t.decodeImage(data, kind)
	if err != nil {
		return nil, 1, err
	}
	// Burn at full size, then scale: the box covers exactly what the
	// copy's box covers.
	return shrink(burn(img, areas, 1), maxPx), 1, nil
}

// previewPDF renders one page of a PDF, or of an office file (kind set)
// converted to PDF the way Redact converts it.
func (t *Tools) previewPDF(ctx context.Context, data []byte, kind scrub.Kind, page int, areas []Area, dpi int, maxPx int64) (image.Image, int, error) {
	w, err := newWorkDir()
	if err != nil {
		return nil, 0, err
	}
	defer w.remove()
	var file string
	if kind != "" {
		file, err = t.officeToPDF(ctx, w, data, kind)
	} else {
		file, err = w.write("in.pdf", data)
	}
	if err != nil {
		return nil, 0, err
	}
	pages, err := t.pdfInfo(ctx, w, file)
	if err != nil {
		return nil, 0, err
	}
	for _, a := range areas {
		if a.Page > len(pages) {
			return nil, len(pages), fmt.Errorf("%w: page %d of %d", ErrBadArea, a.Page, len(pages))
		}
	}
	if page > len(pages) {
		return nil, len(pages), fmt.Errorf("%w: page %d of %d", ErrNoPage, page, len(pages))
	}
	// The same renderer as Redact, with the preview's tighter pixel bound
	// (pageDPI lowers the resolution of a large page to fit it).
	pt := *t
	pt.MaxPagePixels = maxPx
	var img image.Image
	err = pt.renderRange(ctx, w, file, pages, page, page, dpi, false, func(rp renderedPage) error {
		img = burn(rp.Img, areas, rp.Page)
		return nil
	})
	if err != nil {
		return nil, len(pages), err
	}
	if img == nil {
		return nil, len(pages), fmt.Errorf("%w: page %d did not render", ErrMalformed, page)
	}
	return img, len(pages), nil
}

// shrink scales img down to at most maxPx pixels, keeping its aspect
// ratio; a smaller image is returned as it is.
func shrink(img image.Image, maxPx int64) image.Image {
	b := img.Bounds()
	px := int64(b.Dx()) * int64(b.Dy())
	if px <= maxPx {
		return img
	}
	f := math.Sqrt(float64(maxPx) / float64(px))
	wd, ht := max(1, int(float64(b.Dx())*f)), max(1, int(float64(b.Dy())*f))
	dst := image.NewRGBA(image.Rect(0, 0, wd, ht))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// gridColour is a light blue that stands out from black text and boxes.
var gridColour = color.RGBA{R: 0, G: 102, B: 204, A: 255}

// drawGrid returns an RGBA copy of img with a line every 10 % of its
// width and height, blended so the text underneath stays readable, and
// each line labelled with its percentage along the top and the left edge.
// Pure black pixels (burnt-in boxes, glyph cores) are left black, so a box
// still reads as solid.
func drawGrid(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	wd, ht := dst.Bounds().Dx(), dst.Bounds().Dy()
	blend := func(x, y int) {
		i := dst.PixOffset(x, y)
		p := dst.Pix[i : i+4 : i+4]
		if p[0] == 0 && p[1] == 0 && p[2] == 0 {
			return
		}
		p[0] = uint8((int(p[0]) + int(gridColour.R)) / 2)
		p[1] = uint8((int(p[1]) + int(gridColour.G)) / 2)
		p[2] = uint8((int(p[2]) + int(gridColour.B)) / 2)
		p[3] = 255
	}
	for i := 1; i < 10; i++ {
		x := gridLine(i, wd)
		for y := 0; y < ht; y++ {
			blend(x, y)
		}
		y := gridLine(i, ht)
		for x := 0; x < wd; x++ {
			blend(x, y)
		}
	}
	scale := max(1, min(wd, ht)/400)
	for i := 1; i < 10; i++ {
		label := strconv.Itoa(10 * i)
		drawLabel(dst, gridLine(i, wd)+scale, scale, label, scale)
		drawLabel(dst, scale, gridLine(i, ht)+scale, label, scale)
	}
	return dst
}

// gridLine is the pixel column (or row) of the i-th tenth of n pixels.
func gridLine(i, n int) int {
	return min(n-1, i*n/10)
}

// digitGlyphs is a 3×5 pixel font for the labels: row by row, three bits
// a row, most significant on the left.
var digitGlyphs = [10][5]uint8{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
	{7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}

// drawLabel writes digits at (x, y) in gridColour on a white patch, each
// font pixel s×s, clipped to the image.
func drawLabel(dst *image.RGBA, x, y int, digits string, s int) {
	w := (4*len(digits) + 1) * s
	h := 7 * s
	draw.Draw(dst, image.Rect(x, y, x+w, y+h).Intersect(dst.Bounds()), image.White, image.Point{}, draw.Src)
	ink := image.NewUniform(gridColour)
	for n, c := range digits {
		g := digitGlyphs[c-'0']
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row]&(4>>col) == 0 {
					continue
				}
				px := x + s + (4*n+col)*s
				py := y + s + row*s
				draw.Draw(dst, image.Rect(px, py, px+s, py+s).Intersect(dst.Bounds()), ink, image.Point{}, draw.Src)
			}
		}
	}
}
