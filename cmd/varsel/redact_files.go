package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/scrub"
)

// maxDocumentFile is the largest PDF, image or office file scan and redact
// read; docredact.DefaultTools holds the page and pixel limits.
const maxDocumentFile = 256 << 20

// areaList collects --area flags: "page:x,y,w,h" in fractions of the page
// from its top-left corner.
type areaList []docredact.Area

func (a *areaList) String() string { return fmt.Sprint(len(*a), " areas") }

func (a *areaList) Set(s string) error {
	page, rest, ok := strings.Cut(s, ":")
	if !ok {
		return errors.New(`want page:x,y,w,h, such as 1:0.1,0.2,0.3,0.05`)
	}
	p, err := strconv.Atoi(page)
	if err != nil || p < 1 {
		return fmt.Errorf("page %q is not a page number", page)
	}
	parts := strings.Split(rest, ",")
	if len(parts) != 4 {
		return errors.New("want four numbers x,y,w,h after the page")
	}
	var v [4]float64
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%q is not a fraction between 0 and 1", s)
		}
		v[i] = f
	}
	area := docredact.Area{Page: p, X: v[0], Y: v[1], W: v[2], H: v[3]}
	if area.W == 0 || area.H == 0 || area.X+area.W > 1 || area.Y+area.H > 1 {
		return errors.New("the area is empty or leaves the page")
	}
	*a = append(*a, area)
	return nil
}

// documentKind returns the scrub kind of a file that goes through
// docredact (PDF, image, office), or KindOther.
func documentKind(head []byte) scrub.Kind {
	k := scrub.Sniff(head)
	if k == scrub.KindPDF || k.IsImage() || k.IsOOXML() || k.IsODF() {
		return k
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return scrub.KindDOCX // an office zip whose kind the full read decides
	}
	return scrub.KindOther
}

// readDocument reads path when it is a PDF, image or office file; ok is
// false for anything else (text goes the text path).
func readDocument(path string) (data []byte, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	head := make([]byte, scrub.SniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if documentKind(head[:n]) == scrub.KindOther {
		return nil, false, nil
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxDocumentFile {
		return nil, false, fmt.Errorf("%s: %d bytes is more than the %d MiB limit", path, fi.Size(), maxDocumentFile>>20)
	}
	data, err = os.ReadFile(path)
	return data, err == nil, err
}

// docFinding is one finding in a PDF, image or office file as scan prints it.
type docFinding struct {
	Page   int              `json:"page"`
	Type   string           `json:"type"`
	Score  float64          `json:"score"`
	Rule   string           `json:"rule"`
	Source string           `json:"source"`
	Areas  []docredact.Area `json:"areas"`
	Text   *string          `json:"text,omitempty"`
}

type docField struct {
	Name  string  `json:"name"`
	Value *string `json:"value,omitempty"`
}

type docPage struct {
	Page     int          `json:"page"`
	Findings []docFinding `json:"findings"`
}

type docScanOutput struct {
	File          string     `json:"file"`
	Format        string     `json:"format"`
	Bytes         int        `json:"bytes"`
	Pages         int        `json:"pages"`
	OCR           bool       `json:"ocr"`
	Metadata      []docField `json:"metadata"`
	TextlessPages []int      `json:"textless_pages,omitempty"`
	PageFindings  []docPage  `json:"page_findings"`
}

// scanDocument prints the findings per page and the metadata of a PDF,
// image or office file.
func scanDocument(path string, data []byte, eng *detect.Engine, ocr, showText bool, minScore float64, stdout io.Writer) error {
	a, err := docredact.Analyse(context.Background(), path, data, docredact.Options{Engine: eng, OCR: ocr})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out := docScanOutput{File: path, Format: a.MediaType, Bytes: len(data), Pages: a.Pages, OCR: ocr, Metadata: []docField{}, TextlessPages: a.TextlessPages, PageFindings: []docPage{}}
	k := scrub.Detect(bytes.NewReader(data), int64(len(data)))
	if rep, err := scrub.Inspect(bytes.NewReader(data), int64(len(data)), k); err == nil {
		for _, f := range rep.Fields {
			df := docField{Name: f.Name}
			if showText {
				v := f.Value
				df.Value = &v
			}
			out.Metadata = append(out.Metadata, df)
		}
	}
	byPage := map[int][]docFinding{}
	for _, f := range a.Findings {
		if f.Score < minScore {
			continue
		}
		df := docFinding{Page: f.Page, Type: f.Type, Score: f.Score, Rule: f.Rule, Source: f.Source, Areas: f.Areas}
		if df.Areas == nil {
			df.Areas = []docredact.Area{}
		}
		if showText {
			v := f.Text
			df.Text = &v
		}
		byPage[f.Page] = append(byPage[f.Page], df)
	}
	var pages []int
	for p := range byPage {
		pages = append(pages, p)
	}
	sort.Ints(pages)
	for _, p := range pages {
		out.PageFindings = append(out.PageFindings, docPage{Page: p, Findings: byPage[p]})
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// redactDocument writes the redacted copy of a PDF, image or office file:
// every finding at minScore or above and every --area burnt in, then the
// release gate, and only a copy that passes it is written.
func redactDocument(in, out string, data []byte, eng *detect.Engine, people []detect.Person, ocr bool, manual []docredact.Area, minScore float64, stdout io.Writer) error {
	ctx := context.Background()
	opt := docredact.Options{Engine: eng, OCR: ocr}
	a, err := docredact.Analyse(ctx, in, data, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	areas := append([]docredact.Area(nil), manual...)
	var confirmed []string
	counts := map[string]int{}
	skipped := 0
	for _, f := range a.Findings {
		if f.Score < minScore {
			skipped++
			continue
		}
		areas = append(areas, f.Areas...)
		confirmed = append(confirmed, f.Text)
		counts[f.Type]++
	}
	for _, p := range people {
		confirmed = append(confirmed, p.Name)
		confirmed = append(confirmed, p.Aliases...)
	}
	res, err := docredact.Redact(ctx, in, data, areas, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := docredact.Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
		var ge *docredact.GateError
		if errors.As(err, &ge) {
			return fmt.Errorf("%s: the redacted copy failed the release gate and was not written (%d values still readable; checks: %s); mark the places with --area or use --ocr",
				in, ge.Leaks, strings.Join(ge.Checks, ", "))
		}
		return fmt.Errorf("%s: release gate: %w", in, err)
	}
	if err := writeFileAtomic(out, res.Data); err != nil {
		return err
	}
	var types []string
	for t := range counts {
		types = append(types, fmt.Sprintf("%s %d", t, counts[t]))
	}
	sort.Strings(types)
	summary := ""
	if len(types) > 0 {
		summary = " (" + strings.Join(types, ", ") + ")"
	}
	fmt.Fprintf(stdout, "%s: %s, %d pages, %d findings and %d manual areas burnt in%s; release gate passed\n",
		out, res.MediaType, res.Pages, len(confirmed)-countNames(people), len(manual), summary)
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d weaker findings (score below %g) were left; review them with: varsel scan %s\n", skipped, minScore, in)
	}
	if len(a.TextlessPages) > 0 && !ocr {
		fmt.Fprintf(stdout, "pages without a text layer were not analysed (%v); run again with --ocr or mark areas with --area\n", a.TextlessPages)
	}
	return nil
}

func countNames(people []detect.Person) int {
	n := 0
	for _, p := range people {
		n += 1 + len(p.Aliases)
	}
	return n
}
