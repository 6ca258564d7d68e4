package docredact

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/varsel/varsel/internal/scrub"
)

// officeToPDF converts an office file to PDF with LibreOffice in the
// sandbox and returns the path of the PDF in w. The file first goes
// through scrub.Strip, which accepts tracked changes and drops comments,
// people, custom properties and thumbnails: otherwise deleted text shown
// as a tracked change, or a comment in the margin, could reach the
// rendered pages without being part of the text the handler reviews.
func (t *Tools) officeToPDF(ctx context.Context, w *workDir, data []byte, kind scrub.Kind) (string, error) {
	var clean bytes.Buffer
	if _, err := scrub.Strip(&clean, bytes.NewReader(data), int64(len(data)), kind); err != nil {
		return "", fmt.Errorf("docredact: %s: %w", kind, err)
	}
	in, err := w.write("in"+kind.Ext(), clean.Bytes())
	if err != nil {
		return "", err
	}
	outDir := w.file("out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		return "", fmt.Errorf("docredact: work directory: %w", err)
	}
	_, err = t.run(ctx, w, "soffice",
		"-env:UserInstallation=file://"+w.file("home")+"/lo",
		"--headless", "--norestore", "--nolockcheck", "--nodefault", "--nofirststartwizard",
		"--convert-to", "pdf", "--outdir", outDir, in)
	if err != nil {
		return "", fmt.Errorf("docredact: converting %s to PDF: %w", kind, err)
	}
	pdf := outDir + "/in.pdf"
	if fi, err := os.Stat(pdf); err != nil || fi.Size() == 0 {
		return "", fmt.Errorf("%w: LibreOffice could not convert the %s file", ErrMalformed, kind)
	}
	return pdf, nil
}

func (t *Tools) analyseOffice(ctx context.Context, data []byte, kind scrub.Kind, opt Options) (*Analysis, error) {
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	pdf, err := t.officeToPDF(ctx, w, data, kind)
	if err != nil {
		return nil, err
	}
	return t.analysePDFFile(ctx, w, pdf, kind.MIME(), opt)
}

// redactOffice converts to PDF and follows the PDF path; the areas are on
// the converted pages, which are the pages Analyse reported. LibreOffice
// lays a document out the same way for the same input, fonts and version,
// so Analyse and Redact agree when they run on the same machine.
func (t *Tools) redactOffice(ctx context.Context, data []byte, kind scrub.Kind, areas []Area, opt Options) (*Result, error) {
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	pdf, err := t.officeToPDF(ctx, w, data, kind)
	if err != nil {
		return nil, err
	}
	return t.redactPDFFile(ctx, w, pdf, areas, opt)
}
