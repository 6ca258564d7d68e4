package docredact

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"github.com/varsel/varsel/internal/scrub"
)

// decodeImage decodes an uploaded image with scrub's decoder: the pixel
// limit is checked on the header first and the EXIF orientation is applied,
// so areas are in the coordinates a viewer sees.
func (t *Tools) decodeImage(data []byte, kind scrub.Kind) (image.Image, error) {
	cfg := scrub.DefaultConfig
	cfg.MaxPixels = t.MaxPagePixels
	img, err := cfg.DecodeOriented(bytes.NewReader(data), int64(len(data)), kind)
	if err != nil {
		return nil, fmt.Errorf("docredact: %s image: %w", kind, err)
	}
	return img, nil
}

// burn returns a copy of img with an opaque black box over every area on
// page, padded so that anti-aliased glyph edges and ascenders are covered
// too. The copy is opaque RGBA (or Gray for a gray source), so no palette
// or alpha trick can make a box transparent.
func burn(img image.Image, areas []Area, page int) image.Image {
	b := img.Bounds()
	var dst draw.Image
	if _, gray := img.(*image.Gray); gray {
		dst = image.NewGray(b)
		draw.Draw(dst, b, img, b.Min, draw.Src)
	} else {
		// Flatten onto white: no alpha channel survives, so nothing can
		// hide under transparent pixels.
		dst = image.NewRGBA(b)
		draw.Draw(dst, b, image.White, image.Point{}, draw.Src)
		draw.Draw(dst, b, img, b.Min, draw.Over)
	}
	black := image.NewUniform(color.Black)
	for _, a := range areas {
		if a.Page != page {
			continue
		}
		r := areaRect(a, b)
		if !r.Empty() {
			draw.Draw(dst, r, black, image.Point{}, draw.Src)
		}
	}
	return dst
}

// areaRect converts a page-fraction area to pixels of bounds, padded by a
// fifth of its height (at least 2 pixels) and rounded outwards.
func areaRect(a Area, bounds image.Rectangle) image.Rectangle {
	w, h := float64(bounds.Dx()), float64(bounds.Dy())
	pad := math.Max(2, 0.2*a.H*h)
	x0 := math.Floor(a.X*w - pad)
	y0 := math.Floor(a.Y*h - pad)
	x1 := math.Ceil((a.X+a.W)*w + pad)
	y1 := math.Ceil((a.Y+a.H)*h + pad)
	if !finite(x0, y0, x1, y1) {
		return image.Rectangle{}
	}
	r := image.Rect(int(x0), int(y0), int(x1), int(y1)).Add(bounds.Min)
	return r.Intersect(bounds)
}

// encodePNG writes img as a PNG: pixels only, no text, time, colour
// profile or EXIF chunk (image/png writes none of them).
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("docredact: png: %w", err)
	}
	return buf.Bytes(), nil
}

// toGray returns img as 8-bit gray, the input tesseract reads best.
func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(b)
	draw.Draw(g, b, img, b.Min, draw.Src)
	return g
}

func (t *Tools) analyseImage(ctx context.Context, data []byte, kind scrub.Kind, opt Options) (*Analysis, error) {
	img, err := t.decodeImage(data, kind)
	if err != nil {
		return nil, err
	}
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	pt, err := t.ocrImage(ctx, w, img, 1)
	if err != nil {
		return nil, err
	}
	return &Analysis{MediaType: kind.MIME(), Pages: 1, Findings: pt.findings(opt.engine(), "ocr")}, nil
}

func (t *Tools) redactImage(data []byte, kind scrub.Kind, areas []Area) (*Result, error) {
	for _, a := range areas {
		if a.Page != 1 {
			return nil, fmt.Errorf("%w: an image has one page, an area is on page %d", ErrBadArea, a.Page)
		}
	}
	img, err := t.decodeImage(data, kind)
	if err != nil {
		return nil, err
	}
	out, err := encodePNG(burn(img, areas, 1))
	if err != nil {
		return nil, err
	}
	return &Result{Data: out, MediaType: "image/png", Pages: 1}, nil
}
