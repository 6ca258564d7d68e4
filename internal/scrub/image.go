package scrub

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

func decodeConfig(r io.Reader, kind Kind) (image.Config, error) {
	switch kind {
	case KindJPEG:
		return jpeg.DecodeConfig(r)
	case KindPNG:
		return png.DecodeConfig(r)
	case KindGIF:
		return gif.DecodeConfig(r)
	case KindWebP:
		return webp.DecodeConfig(r)
	case KindTIFF:
		return tiff.DecodeConfig(r)
	}
	return image.Config{}, ErrUnsupported
}

func decode(r io.Reader, kind Kind) (image.Image, error) {
	switch kind {
	case KindJPEG:
		return jpeg.Decode(r)
	case KindPNG:
		return png.Decode(r)
	case KindWebP:
		return webp.Decode(r)
	case KindTIFF:
		return tiff.Decode(r)
	}
	return nil, ErrUnsupported
}

// checkPixels reads the header dimensions and refuses large images before
// any pixel memory is allocated.
func (c Config) checkPixels(src io.ReaderAt, size int64, kind Kind) (image.Config, error) {
	cfg, err := decodeConfig(io.NewSectionReader(src, 0, size), kind)
	if err != nil {
		return cfg, fmt.Errorf("%w: %s header: %v", ErrMalformed, kind, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, fmt.Errorf("%w: %s has no pixels", ErrMalformed, kind)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > c.MaxPixels {
		return cfg, fmt.Errorf("%w: image is %d×%d (%.1f megapixels), the limit is %.1f megapixels",
			ErrTooLarge, cfg.Width, cfg.Height, float64(px)/1e6, float64(c.MaxPixels)/1e6)
	}
	return cfg, nil
}

// orientationOf returns the EXIF orientation stored in the file, or 0.
func orientationOf(src io.ReaderAt, size int64, kind Kind) int {
	switch kind {
	case KindJPEG:
		return jpegOrientation(src, size)
	case KindPNG:
		return pngOrientation(src, size)
	case KindWebP:
		return webpOrientation(src, size)
	case KindTIFF:
		return tiffOrientation(src, size)
	}
	return 0
}

func (c Config) stripImage(dst io.Writer, src io.ReaderAt, size int64, kind Kind) (Result, error) {
	res := Result{Kind: kind}
	if _, err := c.checkPixels(src, size, kind); err != nil {
		return res, err
	}
	// What is being dropped, for the result.
	var rep Report
	if r, err := c.Inspect(src, size, kind); err == nil {
		rep = r
	}
	for _, f := range rep.Fields {
		if f.Name != FieldOrientation {
			res.removed("%s: %s", f.Name, f.Value)
		}
	}

	if kind == KindGIF {
		return res, c.stripGIF(dst, src, size)
	}
	img, err := decode(io.NewSectionReader(src, 0, size), kind)
	if err != nil {
		return res, fmt.Errorf("%w: decoding %s: %v", ErrMalformed, kind, err)
	}
	if o := orientationOf(src, size, kind); o > 1 {
		img = orient(img, o)
		res.removed("Orientation %d (applied to the pixels)", o)
	}
	switch kind {
	case KindJPEG:
		err = jpeg.Encode(dst, img, &jpeg.Options{Quality: c.JPEGQuality})
	default: // PNG, and WebP and TIFF converted to PNG
		res.Kind = KindPNG
		err = png.Encode(dst, img)
	}
	return res, err
}

func (c Config) stripGIF(dst io.Writer, src io.ReaderAt, size int64) error {
	// All frames together must stay under the pixel limit: walk the image
	// descriptors before decoding (a tiny file can hold thousands of large,
	// well-compressed frames).
	px, err := walkGIF(nil, src, size)
	if err != nil {
		return err
	}
	if px > c.MaxPixels {
		return fmt.Errorf("%w: the gif's frames hold %.1f megapixels together, the limit is %.1f",
			ErrTooLarge, float64(px)/1e6, float64(c.MaxPixels)/1e6)
	}
	g, err := gif.DecodeAll(io.NewSectionReader(src, 0, size))
	if err != nil {
		return fmt.Errorf("%w: decoding gif: %v", ErrMalformed, err)
	}
	out := &gif.GIF{
		Image:           g.Image,
		Delay:           g.Delay,
		LoopCount:       g.LoopCount,
		Disposal:        g.Disposal,
		Config:          g.Config,
		BackgroundIndex: g.BackgroundIndex,
	}
	return gif.EncodeAll(dst, out)
}

// orient applies an EXIF orientation (2-8) to img.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var pix []byte
	var stride, bpp int
	var mk func(r image.Rectangle) (image.Image, []byte, int)
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, bpp = m.Pix, m.Stride, 4
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewRGBA(r); return d, d.Pix, d.Stride }
	case *image.NRGBA:
		pix, stride, bpp = m.Pix, m.Stride, 4
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewNRGBA(r); return d, d.Pix, d.Stride }
	case *image.Gray:
		pix, stride, bpp = m.Pix, m.Stride, 1
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewGray(r); return d, d.Pix, d.Stride }
	case *image.Gray16:
		pix, stride, bpp = m.Pix, m.Stride, 2
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewGray16(r); return d, d.Pix, d.Stride }
	case *image.RGBA64:
		pix, stride, bpp = m.Pix, m.Stride, 8
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewRGBA64(r); return d, d.Pix, d.Stride }
	case *image.NRGBA64:
		pix, stride, bpp = m.Pix, m.Stride, 8
		mk = func(r image.Rectangle) (image.Image, []byte, int) {
			d := image.NewNRGBA64(r)
			return d, d.Pix, d.Stride
		}
	case *image.CMYK:
		pix, stride, bpp = m.Pix, m.Stride, 4
		mk = func(r image.Rectangle) (image.Image, []byte, int) { d := image.NewCMYK(r); return d, d.Pix, d.Stride }
	case *image.Paletted:
		pix, stride, bpp = m.Pix, m.Stride, 1
		pal := m.Palette
		mk = func(r image.Rectangle) (image.Image, []byte, int) {
			d := image.NewPaletted(r, pal)
			return d, d.Pix, d.Stride
		}
	default: // YCbCr and anything else: convert to RGBA first
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
		return orient(rgba, o)
	}
	// The pixel slices start at b.Min; index them relative to it.
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out, dpix, dstride := mk(image.Rect(0, 0, dw, dh))
	for sy := 0; sy < h; sy++ {
		row := pix[sy*stride:]
		for sx := 0; sx < w; sx++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-sx, sy
			case 3:
				dx, dy = w-1-sx, h-1-sy
			case 4:
				dx, dy = sx, h-1-sy
			case 5:
				dx, dy = sy, sx
			case 6:
				dx, dy = h-1-sy, sx
			case 7:
				dx, dy = h-1-sy, w-1-sx
			case 8:
				dx, dy = sy, w-1-sx
			}
			copy(dpix[dy*dstride+dx*bpp:dy*dstride+dx*bpp+bpp], row[sx*bpp:sx*bpp+bpp])
		}
	}
	return out
}

// embeddedImageKind tells embedded media that Strip re-encodes, by content.
func embeddedImageKind(b []byte) Kind {
	k := Sniff(b)
	if k.IsImage() {
		return k
	}
	return KindOther
}

// reencodeSameFormat cleans an image embedded in a document, keeping its
// format so that the document's references and content types stay valid.
// WebP cannot be written, so it is reported as not cleaned.
func (c Config) reencodeSameFormat(b []byte, kind Kind) ([]byte, error) {
	r := bytes.NewReader(b)
	if _, err := c.checkPixels(r, int64(len(b)), kind); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	switch kind {
	case KindGIF:
		if err := c.stripGIF(&buf, r, int64(len(b))); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case KindWebP:
		return nil, ErrUnsupported
	}
	img, err := decode(bytes.NewReader(b), kind)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if o := orientationOf(r, int64(len(b)), kind); o > 1 {
		img = orient(img, o)
	}
	switch kind {
	case KindJPEG:
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: c.JPEGQuality})
	case KindPNG:
		err = png.Encode(&buf, img)
	case KindTIFF:
		err = tiff.Encode(&buf, img, &tiff.Options{Compression: tiff.Deflate})
	}
	return buf.Bytes(), err
}
