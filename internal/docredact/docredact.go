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
	"context"
	"errors"

	"github.com/varsel/varsel/internal/detect"
)

// ErrUnsupported reports a file type this package cannot redact.
var ErrUnsupported = errors.New("docredact: unsupported file type")

// ErrToolMissing reports that a required external tool is not installed.
var ErrToolMissing = errors.New("docredact: required tool not installed")

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
}

// Options control Analyse and Redact.
type Options struct {
	Engine  *detect.Engine  // detectors; nil means detect.Default()
	Persons []detect.Person // the case's own persons
	OCR     bool            // recognise text on rendered pages (and add an OCR text layer to PDF output)
	Lang    string          // "en", "da", "nb": labels for text output
}

// Result is a redacted copy.
type Result struct {
	Data      []byte
	MediaType string // application/pdf, image/png, image/jpeg, text/plain; charset=utf-8
	Pages     int
}

// Analyse finds personal data in a file of the given name and content.
func Analyse(ctx context.Context, name string, data []byte, opt Options) (*Analysis, error) {
	return nil, ErrUnsupported
}

// Redact produces the anonymised copy with every area burnt in.
func Redact(ctx context.Context, name string, data []byte, areas []Area, opt Options) (*Result, error) {
	return nil, ErrUnsupported
}

// GateError says why a redacted file may not be released; it never holds the
// values themselves, only their count and the checks that found them.
type GateError struct {
	Checks []string // e.g. "text", "ocr", "bytes", "structure: annotation"
	Leaks  int      // number of confirmed values found
}

func (e *GateError) Error() string { return "docredact: release gate failed" }

// Gate checks a redacted file before release: text extraction, OCR, a byte
// scan of the decompressed file and a structure scan must find none of the
// confirmed values. It returns a *GateError when the file must not leave.
func Gate(ctx context.Context, data []byte, mediaType string, confirmed []string) error {
	return ErrUnsupported
}
