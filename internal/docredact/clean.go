package docredact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Metadata cleaning of a whistleblower's PDF at intake: the same rebuild as
// Redact with no areas and no OCR, so nothing of the original's structure
// (document information, XMP, attachments, annotations, forms, scripts,
// earlier revisions, hidden text) can survive. Unlike Redact, the work
// directory can be placed on a memory file system: at intake the input is
// the whistleblower's decrypted upload, which must not reach a disk.

// CleanAvailable reports whether the tools CleanPDF needs are installed
// (ErrToolMissing naming the package if not).
func CleanAvailable() error {
	for _, tool := range []string{"pdfinfo", "pdftoppm"} {
		if _, err := lookTool(tool); err != nil {
			return err
		}
	}
	return nil
}

// PDFPages returns the page count of a PDF as poppler reads it. It fails
// with ErrMalformed when poppler cannot open the file (damaged, or a user
// password is needed) and ErrToolMissing without poppler. dir is where the
// work directory is made ("" for the system's temporary directory).
func (t *Tools) PDFPages(ctx context.Context, data []byte, dir string) (int, error) {
	if int64(len(data)) > t.MaxInput {
		return 0, fmt.Errorf("%w: %d bytes, the limit is %d MiB", ErrTooLarge, len(data), t.MaxInput>>20)
	}
	if _, err := lookTool("pdfinfo"); err != nil {
		return 0, err
	}
	w, err := newWorkDirIn(dir)
	if err != nil {
		return 0, err
	}
	defer w.remove()
	file, err := w.write("in.pdf", data)
	if err != nil {
		return 0, err
	}
	out, err := t.run(ctx, w, "pdfinfo", file)
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: pdfinfo cannot read it (damaged or password-protected): %w", ErrMalformed, err)
	}
	m := rePages.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%w: pdfinfo reports no page count", ErrMalformed)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: the PDF has no pages", ErrMalformed)
	}
	return n, nil
}

// CleanPDF rebuilds a PDF as an image-only PDF (one picture per page at
// t.DPI, no text layer) with no metadata. Files beyond t.MaxPages fail
// with ErrTooLarge before anything is rendered. dir is as for PDFPages.
func (t *Tools) CleanPDF(ctx context.Context, data []byte, dir string) (*Result, error) {
	if int64(len(data)) > t.MaxInput {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d MiB", ErrTooLarge, len(data), t.MaxInput>>20)
	}
	if err := CleanAvailable(); err != nil {
		return nil, err
	}
	w, err := newWorkDirIn(dir)
	if err != nil {
		return nil, err
	}
	defer w.remove()
	file, err := w.write("in.pdf", data)
	if err != nil {
		return nil, err
	}
	return t.redactPDFFile(ctx, w, file, nil, Options{Tools: t})
}

// newWorkDirIn is newWorkDir under dir.
func newWorkDirIn(dir string) (*workDir, error) {
	if dir == "" {
		return newWorkDir()
	}
	p, err := os.MkdirTemp(dir, "varsel-docredact-*")
	if err != nil {
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	if err := os.Chmod(p, 0o700); err == nil {
		err = os.Mkdir(filepath.Join(p, "home"), 0o700)
	}
	if err != nil {
		os.RemoveAll(p)
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	return &workDir{path: p}, nil
}
