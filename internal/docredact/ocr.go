package docredact

import (
	"context"
	"fmt"
	"image"
	"os"
)

// OCRLanguages are the tesseract languages used for recognition: the
// Nordic languages of the platform and English.
var OCRLanguages = "eng+nor+dan+swe+fin"

// ocrImage recognises the words on img (one page) with tesseract and
// returns them with boxes in fractions of the image.
func (t *Tools) ocrImage(ctx context.Context, w *workDir, img image.Image, page int) (pageText, error) {
	b, err := encodePNG(toGray(img))
	if err != nil {
		return pageText{}, err
	}
	name := fmt.Sprintf("ocr-%d.png", page)
	in, err := w.write(name, b)
	if err != nil {
		return pageText{}, err
	}
	defer os.Remove(in)
	return t.ocrFile(ctx, w, name, page)
}

// ocrFile runs tesseract on an image file in the work directory.
func (t *Tools) ocrFile(ctx context.Context, w *workDir, name string, page int) (pageText, error) {
	out, err := t.run(ctx, w, "tesseract", w.file(name), "stdout", "-l", OCRLanguages, "--psm", "3", "tsv")
	if err != nil {
		return pageText{}, err
	}
	pt, err := parseTesseractTSV(out, page)
	if err != nil {
		return pageText{}, fmt.Errorf("docredact: ocr of page %d: %w", page, err)
	}
	return pt, nil
}
