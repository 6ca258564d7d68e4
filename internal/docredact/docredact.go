// Package docredact makes anonymised copies of files (PDF, images, office
// documents, plain text) and checks a copy before it may leave a case.
//
// The contract, shared by the CLI and the case workflow:
//   - Analyse reads a file and returns its pages and the personal data found
//     on them, each finding with the boxes it covers on its page, so that a
//     handler can review them and add or remove areas by hand.
//   - Redact renders the file with every area burnt in as an opaque box and
//     returns a new file built from scratch (image-only PDF, re-encoded image,
//     redacted plain text) with no metadata, no hidden text, one revision.
//   - Gate re-reads an output the way a recipient could (text extraction,
//     OCR, a byte scan of the decompressed file, a structure scan) and fails
//     if any of the confirmed values is still there.
//
// Rendering and OCR run in sandboxed subprocesses (poppler-utils, tesseract,
// LibreOffice from Debian); see Tools.
package docredact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/scrub"
)

// ErrUnsupported reports a file type this package cannot redact.
var ErrUnsupported = errors.New("docredact: unsupported file type")

// ErrToolMissing reports that a required external tool is not installed.
var ErrToolMissing = errors.New("docredact: required tool not installed")

// ErrTooLarge reports an input beyond the limits in Tools (bytes, pages,
// pixels of a rendered page).
var ErrTooLarge = errors.New("docredact: file too large")

// ErrMalformed reports an input that is damaged or not what it claims.
var ErrMalformed = errors.New("docredact: malformed file")

// ErrBadArea reports an area that is not on a page of the file or not
// inside it.
var ErrBadArea = errors.New("docredact: area outside the file")

// Area is a rectangle on one page, in fractions of the page's width and
// height measured from its top-left corner (0 ≤ X, Y, W, H ≤ 1). Page counts
// from 1; an image has one page.
type Area struct {
	Page int     `json:"page"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
}

// Finding is a piece of personal data on a page: the detector's finding (its
// Text is the value found) and the areas it covers.
type Finding struct {
	detect.Finding
	Page  int    `json:"page"`
	Areas []Area `json:"areas"`
	// Source says where the text came from: "text" (the file's own text
	// layer) or "ocr" (recognised from the rendered page).
	Source string `json:"source"`
}

// Analysis is what Analyse found in a file.
type Analysis struct {
	MediaType string    // sniffed media type of the input
	Pages     int       // number of pages (1 for an image or text)
	Findings  []Finding // in page order
	// TextlessPages lists the pages of a PDF or office file without a
	// text layer (scans, pictures of text) when OCR was off: nothing on
	// them was analysed, and the handler should run with OCR or mark
	// areas by hand.
	TextlessPages []int
	// Converted is, for an office file analysed with
	// Options.KeepConverted, the PDF it was converted to (what
	// ConvertOffice returns), for PreviewConvertedPage; nil otherwise,
	// and when the PDF is larger than Tools.MaxInput. It holds the
	// document's content in clear.
	Converted []byte
}

// Options control Analyse and Redact.
type Options struct {
	Engine  *detect.Engine  // detectors; nil means detect.Default()
	Persons []detect.Person // the case's own persons
	OCR     bool            // recognise text on rendered pages (and add an OCR text layer to PDF output)
	Lang    string          // "en", "da", "nb": labels for text output

	// Categories makes text output name what was removed ("[person 1  ]",
	// fixed-width labels with consistent pseudonyms) instead of the
	// neutral "[…]". Text only: a PDF or image gets opaque boxes.
	Categories bool
	// MinScore is the lowest score Redact removes from a text when
	// Reviewed is nil. Analyse reports every finding whatever its score.
	MinScore float64
	// Reviewed, for text input, is the set of findings a handler kept
	// after review (from Analyse, some removed); Redact then removes
	// exactly these instead of running the detectors again. Text has no
	// page geometry, so areas do not apply to it.
	Reviewed []Finding
	// Tools runs the external programs with their limits; nil means
	// DefaultTools.
	Tools *Tools
	// KeepConverted makes Analyse return an office file's conversion in
	// Analysis.Converted, so that page previews need not convert again.
	// Redact ignores it: it always converts, so its output depends on
	// the input alone.
	KeepConverted bool
}

func (o Options) engine() *detect.Engine {
	eng := o.Engine
	if eng == nil {
		eng = detect.Default()
	}
	if len(o.Persons) > 0 {
		eng = eng.With(detect.NewPersons(o.Persons))
	}
	return eng
}

func (o Options) tools() *Tools {
	if o.Tools != nil {
		return o.Tools
	}
	return &DefaultTools
}

// Result is a redacted copy.
type Result struct {
	Data      []byte
	MediaType string // application/pdf, image/png, image/jpeg, text/plain; charset=utf-8
	Pages     int
}

// Analyse finds personal data in a file of the given name and content.
func Analyse(ctx context.Context, name string, data []byte, opt Options) (*Analysis, error) {
	t := opt.tools()
	k, err := t.kindOf(data)
	if err != nil {
		return nil, err
	}
	switch {
	case k == kindText:
		return analyseText(string(data), opt), nil
	case k.IsImage():
		return t.analyseImage(ctx, data, k, opt)
	case k == scrub.KindPDF:
		return t.analysePDF(ctx, data, opt)
	case k.IsOOXML() || k.IsODF():
		return t.analyseOffice(ctx, data, k, opt)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupported, k)
}

// Redact produces the anonymised copy with every area burnt in.
//
// For a PDF, an image or an office file exactly the given areas are burnt
// in (take them from Analyse's findings and the handler's own); nothing is
// detected again. For text the areas do not apply: Options.Reviewed, or
// failing that a fresh detection, says what is removed.
func Redact(ctx context.Context, name string, data []byte, areas []Area, opt Options) (*Result, error) {
	t := opt.tools()
	k, err := t.kindOf(data)
	if err != nil {
		return nil, err
	}
	if k != kindText {
		for _, a := range areas {
			if err := checkArea(a); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case k == kindText:
		return redactText(string(data), opt)
	case k.IsImage():
		return t.redactImage(data, k, areas)
	case k == scrub.KindPDF:
		return t.redactPDF(ctx, data, areas, opt)
	case k.IsOOXML() || k.IsODF():
		return t.redactOffice(ctx, data, k, areas, opt)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupported, k)
}

// kindText marks UTF-8 plain text, which scrub does not name.
const kindText scrub.Kind = "text"

// kindOf tells the file's type from its content, never its name.
func (t *Tools) kindOf(data []byte) (scrub.Kind, error) {
	if int64(len(data)) > t.MaxInput {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d MiB", ErrTooLarge, len(data), t.MaxInput>>20)
	}
	k := scrub.Detect(bytes.NewReader(data), int64(len(data)))
	if k == scrub.KindOther && utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
		return kindText, nil
	}
	if k == scrub.KindOther {
		return k, fmt.Errorf("%w: neither UTF-8 text nor a PDF, image or office file", ErrUnsupported)
	}
	return k, nil
}

// checkArea refuses areas that are not numbers inside a page.
func checkArea(a Area) error {
	const eps = 1e-9
	if a.Page < 1 || !finite(a.X, a.Y, a.W, a.H) || a.W <= 0 || a.H <= 0 ||
		a.X < -eps || a.Y < -eps || a.X+a.W > 1+eps || a.Y+a.H > 1+eps {
		return fmt.Errorf("%w: page %d x %g y %g w %g h %g", ErrBadArea, a.Page, a.X, a.Y, a.W, a.H)
	}
	return nil
}

// GateError says why a redacted file may not be released; it never holds the
// values themselves, only their count and the checks that found them.
type GateError struct {
	Checks []string // e.g. "text", "ocr", "bytes", "structure: annotation"
	Leaks  int      // number of confirmed values found
}

func (e *GateError) Error() string {
	return fmt.Sprintf("docredact: release gate failed: %d confirmed values found; checks failed: %s", e.Leaks, strings.Join(e.Checks, ", "))
}
