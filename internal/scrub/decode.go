package scrub

import (
	"fmt"
	"image"
	"image/gif"
	"io"
)

// DecodeOriented decodes a raster image (JPEG, PNG, WebP, TIFF; GIF's first
// frame) the way Strip does: the pixel limit is checked on the header before
// any pixel memory is allocated, and the EXIF orientation is applied to the
// pixels, so the result is upright and carries nothing but pixels. The
// redaction engine (internal/docredact) uses it so that boxes are burnt in
// where the viewer sees the text.
func (c Config) DecodeOriented(src io.ReaderAt, size int64, kind Kind) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrMalformed, p)
		}
	}()
	if !kind.IsImage() {
		return nil, fmt.Errorf("%w: %s is not an image", ErrUnsupported, kind)
	}
	if kind == KindGIF {
		px, err := walkGIF(nil, src, size)
		if err != nil {
			return nil, err
		}
		if px > c.MaxPixels {
			return nil, fmt.Errorf("%w: the gif's frames hold %.1f megapixels together, the limit is %.1f",
				ErrTooLarge, float64(px)/1e6, float64(c.MaxPixels)/1e6)
		}
	} else if _, err := c.checkPixels(src, size, kind); err != nil {
		return nil, err
	}
	if kind == KindGIF {
		img, err = gif.Decode(io.NewSectionReader(src, 0, size))
	} else {
		img, err = decode(io.NewSectionReader(src, 0, size), kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decoding %s: %v", ErrMalformed, kind, err)
	}
	if o := orientationOf(src, size, kind); o > 1 {
		img = orient(img, o)
	}
	return img, nil
}
