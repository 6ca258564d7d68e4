package docredact

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pdfPage is a page's size in points as rendered (rotation applied).
type pdfPage struct {
	W, H float64
}

var (
	rePages    = regexp.MustCompile(`(?m)^Pages:\s+(\d+)\s*$`)
	rePageSize = regexp.MustCompile(`(?m)^Page\s+(\d+)\s+size:\s+([0-9.]+)\s+x\s+([0-9.]+)\s+pts`)
	rePageRot  = regexp.MustCompile(`(?m)^Page\s+(\d+)\s+rot:\s+(-?\d+)`)
	reEncrypt  = regexp.MustCompile(`(?m)^Encrypted:\s+yes`)
)

// pdfInfo runs pdfinfo and returns the size of every page. It refuses
// files beyond MaxPages before anything is rendered.
func (t *Tools) pdfInfo(ctx context.Context, w *workDir, file string) ([]pdfPage, error) {
	out, err := t.run(ctx, w, "pdfinfo", file)
	if err != nil {
		return nil, fmt.Errorf("%w: pdfinfo cannot read it (damaged or password-protected): %w", ErrMalformed, err)
	}
	m := rePages.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("%w: pdfinfo reports no page count", ErrMalformed)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%w: the PDF has no pages", ErrMalformed)
	}
	if n > t.MaxPages {
		return nil, fmt.Errorf("%w: %d pages, the limit is %d", ErrTooLarge, n, t.MaxPages)
	}
	if reEncrypt.Match(out) {
		// Readable without a password (pdfinfo succeeded), so an owner
		// password only: rendering works and the output is not encrypted.
	}
	out, err = t.run(ctx, w, "pdfinfo", "-box", "-f", "1", "-l", strconv.Itoa(n), file)
	if err != nil {
		return nil, fmt.Errorf("%w: pdfinfo: %w", ErrMalformed, err)
	}
	return parsePageSizes(out, n)
}

// parsePageSizes reads the "Page N size:" and "Page N rot:" lines of
// pdfinfo -f 1 -l n.
func parsePageSizes(out []byte, n int) ([]pdfPage, error) {
	pages := make([]pdfPage, n)
	for _, m := range rePageSize.FindAllSubmatch(out, -1) {
		i, _ := strconv.Atoi(string(m[1]))
		wv, err1 := strconv.ParseFloat(string(m[2]), 64)
		hv, err2 := strconv.ParseFloat(string(m[3]), 64)
		if i < 1 || i > n || err1 != nil || err2 != nil || !(wv > 0 && hv > 0) || !finite(wv, hv) {
			continue
		}
		pages[i-1] = pdfPage{W: wv, H: hv}
	}
	for _, m := range rePageRot.FindAllSubmatch(out, -1) {
		i, _ := strconv.Atoi(string(m[1]))
		r, _ := strconv.Atoi(string(m[2]))
		if i >= 1 && i <= n && (r%180+180)%180 == 90 {
			pages[i-1].W, pages[i-1].H = pages[i-1].H, pages[i-1].W
		}
	}
	for i, p := range pages {
		if p.W == 0 {
			return nil, fmt.Errorf("%w: page %d has no size", ErrMalformed, i+1)
		}
	}
	return pages, nil
}

// pageDPI is the resolution at which page p fits MaxPagePixels, at most
// want. A page too large even at 9 dpi is refused.
func (t *Tools) pageDPI(p pdfPage, want int) (int, error) {
	inch2 := (p.W / 72) * (p.H / 72)
	dpi := want
	if max := int(math.Sqrt(float64(t.MaxPagePixels) / inch2)); max < dpi {
		dpi = max
	}
	if dpi < 9 {
		return 0, fmt.Errorf("%w: a page of %.0f×%.0f points cannot be rendered within %d pixels", ErrTooLarge, p.W, p.H, t.MaxPagePixels)
	}
	return dpi, nil
}

// renderedPage is one rendered page: its pixels and the dpi used.
type renderedPage struct {
	Page int
	DPI  int
	Img  image.Image
}

// renderBatchSize bounds how many rendered pages are on disk and in memory
// at once.
const renderBatchSize = 4

// renderPages renders every page of file and calls fn for each in order,
// gray or colour, annotations hidden (they are not page content, they are
// not analysed, and a form field or comment could carry a value). The
// crop box is rendered, as pdftotext reads it: what a viewer shows.
func (t *Tools) renderPages(ctx context.Context, w *workDir, file string, pages []pdfPage, dpi int, gray bool, fn func(renderedPage) error) error {
	return t.renderRange(ctx, w, file, pages, 1, len(pages), dpi, gray, fn)
}

// renderRange is renderPages for pages first to last (from 1, inclusive),
// so that a preview of one page renders that page only.
func (t *Tools) renderRange(ctx context.Context, w *workDir, file string, pages []pdfPage, first, last, dpi int, gray bool, fn func(renderedPage) error) error {
	for start := first - 1; start < last; {
		d, err := t.pageDPI(pages[start], dpi)
		if err != nil {
			return err
		}
		end := start + 1
		for end < last && end-start < renderBatchSize {
			if d2, err := t.pageDPI(pages[end], dpi); err != nil || d2 != d {
				break
			}
			end++
		}
		prefix := w.file("r")
		args := []string{"-r", strconv.Itoa(d), "-f", strconv.Itoa(start + 1), "-l", strconv.Itoa(end), "-cropbox", "-hide-annotations"}
		if gray {
			args = append(args, "-gray")
		}
		if _, err := t.run(ctx, w, "pdftoppm", append(args, file, prefix)...); err != nil {
			return fmt.Errorf("docredact: rendering pages %d-%d: %w", start+1, end, err)
		}
		files, err := renderedFiles(w.path)
		if err != nil {
			return err
		}
		for i := start; i < end; i++ {
			f, ok := files[i+1]
			if !ok {
				return fmt.Errorf("%w: page %d did not render", ErrMalformed, i+1)
			}
			img, err := readPNM(f, t.MaxPagePixels)
			os.Remove(f)
			if err != nil {
				return fmt.Errorf("docredact: page %d: %w", i+1, err)
			}
			if err := fn(renderedPage{Page: i + 1, DPI: d, Img: img}); err != nil {
				return err
			}
		}
		start = end
	}
	return nil
}

// renderedFiles maps page numbers to the files pdftoppm wrote ("r-07.ppm").
func renderedFiles(dir string) (map[int]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	m := map[int]string{}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "r-") || !(strings.HasSuffix(n, ".ppm") || strings.HasSuffix(n, ".pgm")) {
			continue
		}
		if i, err := strconv.Atoi(n[2 : len(n)-4]); err == nil {
			m[i] = filepath.Join(dir, n)
		}
	}
	return m, nil
}

// readPNM reads a binary PGM (P5) or PPM (P6) with 8-bit samples, the
// formats pdftoppm writes, refusing more than maxPixels.
func readPNM(path string, maxPixels int64) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodePNM(bufio.NewReader(f), maxPixels)
}

func decodePNM(r *bufio.Reader, maxPixels int64) (image.Image, error) {
	var magic [2]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("%w: pnm header", ErrMalformed)
	}
	if magic[0] != 'P' || (magic[1] != '5' && magic[1] != '6') {
		return nil, fmt.Errorf("%w: not a binary pnm", ErrMalformed)
	}
	var v [3]int
	for i := range v {
		n, err := pnmInt(r)
		if err != nil {
			return nil, err
		}
		v[i] = n
	}
	wd, ht, maxv := v[0], v[1], v[2]
	if wd < 1 || ht < 1 || maxv != 255 {
		return nil, fmt.Errorf("%w: pnm %dx%d max %d", ErrMalformed, wd, ht, maxv)
	}
	if int64(wd)*int64(ht) > maxPixels {
		return nil, fmt.Errorf("%w: rendered page of %dx%d pixels", ErrTooLarge, wd, ht)
	}
	rect := image.Rect(0, 0, wd, ht)
	if magic[1] == '5' {
		g := image.NewGray(rect)
		if _, err := io.ReadFull(r, g.Pix); err != nil {
			return nil, fmt.Errorf("%w: pnm data: %v", ErrMalformed, err)
		}
		return g, nil
	}
	rgb := make([]byte, wd*3)
	img := image.NewRGBA(rect)
	for y := 0; y < ht; y++ {
		if _, err := io.ReadFull(r, rgb); err != nil {
			return nil, fmt.Errorf("%w: pnm data: %v", ErrMalformed, err)
		}
		row := img.Pix[y*img.Stride : y*img.Stride+wd*4]
		for x := 0; x < wd; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = rgb[3*x], rgb[3*x+1], rgb[3*x+2], 255
		}
	}
	return img, nil
}

// pnmInt reads one header number, skipping whitespace and comments, and the
// single whitespace byte after it.
func pnmInt(r *bufio.Reader) (int, error) {
	c, err := r.ReadByte()
	for err == nil && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#') {
		if c == '#' {
			_, err = r.ReadString('\n')
			if err != nil {
				break
			}
		}
		c, err = r.ReadByte()
	}
	if err != nil {
		return 0, fmt.Errorf("%w: pnm header", ErrMalformed)
	}
	n := 0
	for ; err == nil && c >= '0' && c <= '9'; c, err = r.ReadByte() {
		n = n*10 + int(c-'0')
		if n > 1<<24 {
			return 0, fmt.Errorf("%w: pnm header number too large", ErrMalformed)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%w: pnm header", ErrMalformed)
	}
	return n, nil
}

// pdfText runs pdftotext -bbox-layout over the crop boxes of all pages.
func (t *Tools) pdfText(ctx context.Context, w *workDir, file string, n int) ([]pageText, error) {
	out, err := t.run(ctx, w, "pdftotext", "-bbox-layout", "-cropbox", "-enc", "UTF-8", "-f", "1", "-l", strconv.Itoa(n), file, "-")
	if err != nil {
		return nil, fmt.Errorf("docredact: text layer: %w", err)
	}
	pages, err := parseBBoxLayout(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("docredact: text layer: %w", err)
	}
	return pages, nil
}

func (t *Tools) analysePDF(ctx context.Context, data []byte, opt Options) (*Analysis, error) {
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	file, err := w.write("in.pdf", data)
	if err != nil {
		return nil, err
	}
	return t.analysePDFFile(ctx, w, file, "application/pdf", opt)
}

func (t *Tools) analysePDFFile(ctx context.Context, w *workDir, file, mediaType string, opt Options) (*Analysis, error) {
	pages, err := t.pdfInfo(ctx, w, file)
	if err != nil {
		return nil, err
	}
	texts, err := t.pdfText(ctx, w, file, len(pages))
	if err != nil {
		return nil, err
	}
	eng := opt.engine()
	a := &Analysis{MediaType: mediaType, Pages: len(pages)}
	hasText := make([]bool, len(pages)+1)
	for i := range texts {
		if texts[i].Page > len(pages) {
			break
		}
		hasText[texts[i].Page] = len(texts[i].Words) > 0
		a.Findings = append(a.Findings, texts[i].findings(eng, "text")...)
	}
	if opt.OCR {
		err := t.renderPages(ctx, w, file, pages, t.OCRDPI, true, func(rp renderedPage) error {
			pt, err := t.ocrImage(ctx, w, rp.Img, rp.Page)
			if err != nil {
				return err
			}
			for _, f := range pt.findings(eng, "ocr") {
				if !duplicate(a.Findings, f) {
					a.Findings = append(a.Findings, f)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		for p := 1; p <= len(pages); p++ {
			if !hasText[p] {
				a.TextlessPages = append(a.TextlessPages, p)
			}
		}
	}
	sort.SliceStable(a.Findings, func(i, j int) bool { return a.Findings[i].Page < a.Findings[j].Page })
	return a, nil
}

// duplicate reports whether an OCR finding repeats one from the text layer:
// same page, boxes overlapping (the name inside an e-mail address that the
// text layer found as EMAIL is the same ink).
func duplicate(fs []Finding, f Finding) bool {
	for _, g := range fs {
		if g.Page != f.Page || g.Source == f.Source {
			continue
		}
		for _, a := range g.Areas {
			for _, b := range f.Areas {
				if overlap(a, b) > 0.5 {
					return true
				}
			}
		}
	}
	return false
}

// overlap is the intersection of a and b over the smaller of the two.
func overlap(a, b Area) float64 {
	x := math.Min(a.X+a.W, b.X+b.W) - math.Max(a.X, b.X)
	y := math.Min(a.Y+a.H, b.Y+b.H) - math.Max(a.Y, b.Y)
	if x <= 0 || y <= 0 {
		return 0
	}
	return x * y / math.Min(a.W*a.H, b.W*b.H)
}

func (t *Tools) redactPDF(ctx context.Context, data []byte, areas []Area, opt Options) (*Result, error) {
	w, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	defer w.remove()
	file, err := w.write("in.pdf", data)
	if err != nil {
		return nil, err
	}
	return t.redactPDFFile(ctx, w, file, areas, opt)
}

// redactPDFFile renders every page, burns the areas in and writes a new
// image-only PDF (see pdfWriter); with OCR it recognises the redacted
// pages and adds their words as invisible text.
func (t *Tools) redactPDFFile(ctx context.Context, w *workDir, file string, areas []Area, opt Options) (*Result, error) {
	pages, err := t.pdfInfo(ctx, w, file)
	if err != nil {
		return nil, err
	}
	for _, a := range areas {
		if a.Page > len(pages) {
			return nil, fmt.Errorf("%w: page %d of %d", ErrBadArea, a.Page, len(pages))
		}
	}
	pw := newPDFWriter()
	dpi := t.DPI
	if opt.OCR && t.OCRDPI > dpi {
		dpi = t.OCRDPI // recognition needs the finer raster
	}
	err = t.renderPages(ctx, w, file, pages, dpi, false, func(rp renderedPage) error {
		img := burn(rp.Img, areas, rp.Page)
		var words []word
		if opt.OCR {
			pt, err := t.ocrImage(ctx, w, img, rp.Page)
			if err != nil {
				return err
			}
			words = outsideAreas(pt.Words, areas, rp.Page)
		}
		return pw.addPage(img, rp.DPI, words)
	})
	if err != nil {
		return nil, err
	}
	out, err := pw.finish()
	if err != nil {
		return nil, err
	}
	return &Result{Data: out, MediaType: "application/pdf", Pages: len(pages)}, nil
}

var errNoPages = errors.New("docredact: no pages")

// outsideAreas drops the words OCR "read" in a burnt-in box: the box is
// black, so they are noise, and a text layer must say nothing about what
// was there.
func outsideAreas(words []word, areas []Area, page int) []word {
	var out []word
next:
	for _, wd := range words {
		b := Area{Page: page, X: wd.X0, Y: wd.Y0, W: wd.X1 - wd.X0, H: wd.Y1 - wd.Y0}
		for _, a := range areas {
			if a.Page == page && overlap(a, b) > 0.3 {
				continue next
			}
		}
		out = append(out, wd)
	}
	return out
}
