package docredact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/varsel/varsel/internal/scrub"
)

// officeConversions counts LibreOffice runs that convert an office file,
// so that a caller keeping conversions (the case workflow's page
// previews) can show in its tests that it spares them.
var officeConversions atomic.Int64

// OfficeConversions returns how many office files this process has
// started converting to PDF, whatever the outcome.
func OfficeConversions() int64 { return officeConversions.Load() }

// IsOffice tells whether data is an office file (OOXML or ODF), which
// Analyse, Redact and PreviewPage first convert to PDF with LibreOffice.
func IsOffice(data []byte) bool {
	k := scrub.Detect(bytes.NewReader(data), int64(len(data)))
	return k.IsOOXML() || k.IsODF()
}

// ConvertOffice converts an office file to the PDF that Analyse, Redact
// and PreviewPage render it from: scrub.Strip, then LibreOffice in the
// sandbox. The conversion costs seconds; PreviewConvertedPage renders a
// page of its result without running LibreOffice again. The PDF holds
// the document's content in clear: a caller that keeps it must keep it
// encrypted. Any other type is ErrUnsupported.
func ConvertOffice(ctx context.Context, data []byte, opt Options) ([]byte, error) {
	t := opt.tools()
	k, err := t.kindOf(data)
	if err != nil {
		return nil, err
	}
	if !k.IsOOXML() && !k.IsODF() {
		return nil, fmt.Errorf("%w: %s is not an office file", ErrUnsupported, k)
	}
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	pdf, err := t.officeToPDF(ctx, w, data, k)
	if err != nil {
		return nil, err
	}
	return t.readConverted(pdf)
}

// readConverted reads a converted PDF from the work directory, refusing
// one larger than an input may be: it would not be taken back as one.
func (t *Tools) readConverted(pdf string) ([]byte, error) {
	f, err := os.Open(pdf)
	if err != nil {
		return nil, fmt.Errorf("docredact: read converted PDF: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, t.MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("docredact: read converted PDF: %w", err)
	}
	if int64(len(data)) > t.MaxInput {
		return nil, fmt.Errorf("%w: the converted PDF is larger than %d MiB", ErrTooLarge, t.MaxInput>>20)
	}
	return data, nil
}

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
	officeConversions.Add(1)
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
	a, err := t.analysePDFFile(ctx, w, pdf, kind.MIME(), opt)
	if err != nil || !opt.KeepConverted {
		return a, err
	}
	// A conversion too large to keep is not an error: the caller
	// converts again when it needs the pages.
	if a.Converted, err = t.readConverted(pdf); errors.Is(err, ErrTooLarge) {
		a.Converted = nil
	} else if err != nil {
		return nil, err
	}
	return a, nil
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
