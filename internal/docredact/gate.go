package docredact

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/scrub"
)

// Gate checks a redacted file before release: text extraction, OCR, a byte
// scan of the decompressed file and a structure scan must find none of the
// confirmed values. It returns a *GateError when the file must not leave.
//
// A PDF must be one revision with no annotations, attachments, metadata
// stream, document information, optional-content (hidden) layers, forms,
// actions or JavaScript, outlines, encryption, and no stream filter but
// FlateDecode (image-only output from Redact has none of these). An image
// must carry nothing but pixels. Matching is tolerant: case, spelling
// variants (ø/o, å/aa), spaces, dashes and dots between digits do not hide
// a value. Values shorter than three characters are ignored, and values
// shorter than five are not looked for in the raw bytes, where they would
// match by chance.
func Gate(ctx context.Context, data []byte, mediaType string, confirmed []string) error {
	return DefaultTools.Gate(ctx, data, mediaType, confirmed)
}

// Gate is the package-level Gate with t's limits.
func (t *Tools) Gate(ctx context.Context, data []byte, mediaType string, confirmed []string) error {
	m := newMatcher(confirmed)
	g := &gateRun{m: m, found: map[int]bool{}, checks: map[string]bool{}}
	mt, _, _ := strings.Cut(mediaType, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "text/plain":
		if !utf8.Valid(data) {
			return fmt.Errorf("%w: text output is not UTF-8", ErrMalformed)
		}
		g.look("text", string(data), false)
	case "image/png", "image/jpeg":
		if err := t.gateImage(ctx, g, data); err != nil {
			return err
		}
	case "application/pdf":
		if err := t.gatePDF(ctx, g, data); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: cannot check %q before release", ErrUnsupported, mediaType)
	}
	return g.result()
}

// gateRun collects what the checks found.
type gateRun struct {
	m      *matcher
	found  map[int]bool // indices of confirmed values found
	checks map[string]bool
}

// look searches hay for the confirmed values; bytes selects the stricter
// rules of the byte scan.
func (g *gateRun) look(check, hay string, raw bool) {
	for _, i := range g.m.find(hay, raw) {
		g.found[i] = true
		g.checks[check] = true
	}
}

func (g *gateRun) fail(check string) { g.checks[check] = true }

func (g *gateRun) result() error {
	if len(g.checks) == 0 {
		return nil
	}
	e := &GateError{Leaks: len(g.found)}
	for c := range g.checks {
		e.Checks = append(e.Checks, c)
	}
	sort.Strings(e.Checks)
	return e
}

func (t *Tools) gateImage(ctx context.Context, g *gateRun, data []byte) error {
	k := scrub.Detect(bytes.NewReader(data), int64(len(data)))
	if k != scrub.KindPNG && k != scrub.KindJPEG {
		return fmt.Errorf("%w: not a PNG or JPEG", ErrMalformed)
	}
	rep, err := scrub.Inspect(bytes.NewReader(data), int64(len(data)), k)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, f := range rep.Fields {
		g.fail("structure: " + strings.ToLower(f.Name))
	}
	g.look("bytes", latin1(data), true)
	img, err := t.decodeImage(data, k)
	if err != nil {
		return err
	}
	w, err := newWorkDir()
	if err != nil {
		return err
	}
	defer w.remove()
	pt, err := t.ocrImage(ctx, w, img, 1)
	if err != nil {
		return err
	}
	text, _ := pt.layoutText()
	g.look("ocr", text, false)
	return nil
}

// structureChecks maps PDF names to the check that fails when they occur.
var structureChecks = map[string]string{
	"Annots": "structure: annotation", "Annot": "structure: annotation", "Popup": "structure: annotation",
	"EmbeddedFiles": "structure: attachment", "EmbeddedFile": "structure: attachment", "FileAttachment": "structure: attachment", "EF": "structure: attachment", "RF": "structure: attachment",
	"Metadata":     "structure: metadata stream",
	"PieceInfo":    "structure: metadata stream",
	"Info":         "structure: document information",
	"OCProperties": "structure: hidden layer", "OC": "structure: hidden layer",
	"JavaScript": "structure: javascript", "JS": "structure: javascript",
	"AA": "structure: action", "OpenAction": "structure: action", "Launch": "structure: action", "URI": "structure: action", "SubmitForm": "structure: action", "GoToR": "structure: action",
	"AcroForm": "structure: form", "XFA": "structure: form",
	"Outlines":   "structure: outline",
	"Prev":       "structure: earlier revision",
	"Encrypt":    "structure: encryption",
	"Threads":    "structure: article threads",
	"PageLabels": "structure: page labels",
}

func (t *Tools) gatePDF(ctx context.Context, g *gateRun, data []byte) error {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return fmt.Errorf("%w: not a PDF", ErrMalformed)
	}
	// Structure and bytes first: they need no tool.
	s := scanPDF(data)
	for name, check := range structureChecks {
		if s.names[name] > 0 {
			g.fail(check)
		}
	}
	if s.eofs > 1 || s.startxref > 1 {
		g.fail("structure: earlier revision")
	}
	if len(s.filters) > 0 {
		g.fail("structure: unexpected filter")
	}
	if s.truncated {
		g.fail("structure: too large to scan")
	}
	g.look("bytes", latin1(data), true)
	for _, st := range s.streams {
		if utf8.Valid(st) {
			g.look("bytes", string(st), true)
		} else {
			g.look("bytes", latin1(st), true)
		}
	}
	// Strings joined without a gap: a value kerned into pieces, [(Ka) -20
	// (ri)] TJ, reads as one.
	g.look("bytes", strings.Join(s.strings, ""), true)
	for _, str := range s.strings {
		g.look("bytes", str, true)
	}

	w, err := newWorkDir()
	if err != nil {
		return err
	}
	defer w.remove()
	file, err := w.write("out.pdf", data)
	if err != nil {
		return err
	}
	pages, err := t.pdfInfo(ctx, w, file)
	if err != nil {
		return err
	}
	// Text extraction over the whole media box, as a recipient's tool
	// would do it.
	text, err := t.run(ctx, w, "pdftotext", "-enc", "UTF-8", file, "-")
	if err != nil {
		return fmt.Errorf("docredact: gate text extraction: %w", err)
	}
	g.look("text", string(text), false)
	err = t.renderPages(ctx, w, file, pages, t.OCRDPI, true, func(rp renderedPage) error {
		pt, err := t.ocrImage(ctx, w, rp.Img, rp.Page)
		if err != nil {
			return err
		}
		text, _ := pt.layoutText()
		g.look("ocr", text, false)
		return nil
	})
	return err
}

func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// matcher finds confirmed values tolerantly.
type matcher struct {
	words    []string // folded value, words separated by one space
	squeezed []string // folded value with everything but letters and digits removed
	digitsID []bool   // the value is mostly digits (an ID number, a phone number)
}

func newMatcher(values []string) *matcher {
	m := &matcher{}
	for _, v := range values {
		w := foldWords(v)
		sq := strings.ReplaceAll(w, " ", "")
		if utf8.RuneCountInString(sq) < 3 {
			w, sq = "", "" // too short to look for without matching everything
		}
		digits := 0
		for _, r := range sq {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		m.words = append(m.words, w)
		m.squeezed = append(m.squeezed, sq)
		m.digitsID = append(m.digitsID, digits >= 6)
	}
	return m
}

// foldWords lower-cases and spelling-folds s (detect.FoldName), turns every
// run of characters that are not letters or digits into one space and
// trims the ends.
func foldWords(s string) string {
	n, _, _ := detect.Normalize(s)
	f := detect.FoldName(n)
	var b strings.Builder
	space := true
	for _, r := range f {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// find returns the indices of the values in hay. Word match: the value's
// words appear as whole words. Squeezed match (separators ignored): for ID
// numbers always, for other values of 8 or more characters; in the raw
// byte scan values of fewer than five characters are skipped.
func (m *matcher) find(hay string, raw bool) []int {
	if len(m.words) == 0 || hay == "" {
		return nil
	}
	w := " " + foldWords(hay) + " "
	var sq string
	var out []int
	for i, v := range m.words {
		if v == "" {
			continue
		}
		n := utf8.RuneCountInString(m.squeezed[i])
		if raw && n < 5 {
			continue
		}
		if strings.Contains(w, " "+v+" ") {
			out = append(out, i)
			continue
		}
		if m.digitsID[i] || n >= 8 {
			if sq == "" {
				sq = strings.ReplaceAll(w, " ", "")
			}
			if strings.Contains(sq, m.squeezed[i]) {
				out = append(out, i)
			}
		}
	}
	return out
}
