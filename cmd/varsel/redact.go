package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/redact"
)

// maxTextFile is the largest text file scan and redact read.
const maxTextFile = 64 << 20

// errNotText is returned for files that are not UTF-8 plain text.
var errNotText = errors.New("not a UTF-8 plain text file")

// parseWithArgs parses args into fs and allows flags after positional
// arguments ("varsel scan FILE --show-text"); it returns the positional
// arguments. "--" ends the flags.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag argument or after "--".
		if used := args[:len(args)-len(rest)]; len(used) > 0 && used[len(used)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// readTextFile reads a UTF-8 plain text file, refusing other formats with a
// message that says what the file looks like. Errors never quote content.
func readTextFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxTextFile {
		return "", fmt.Errorf("%s: %d bytes is more than the %d MiB limit for text files", path, fi.Size(), maxTextFile>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if kind := binaryKind(b); kind != "" {
		return "", fmt.Errorf("%s: %w: it looks like %s. Supported are UTF-8 plain text, PDF, images (PNG, JPEG) and office files (docx, xlsx, pptx, odt, ods)", path, errNotText, kind)
	}
	if len(b) > maxTextFile {
		return "", fmt.Errorf("%s: more than the %d MiB limit for text files", path, maxTextFile>>20)
	}
	return string(b), nil
}

// binaryKind names the format of b when it is not UTF-8 plain text, or
// returns "".
func binaryKind(b []byte) string {
	magic := []struct{ prefix, kind string }{
		{"%PDF-", "a PDF"},
		{"PK\x03\x04", "a ZIP container (an office file such as docx, xlsx, pptx, odt or ods?)"},
		{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "an old binary office file (doc, xls, ppt)"},
		{"{\\rtf", "an RTF document"},
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xFF\xD8\xFF", "a JPEG image"},
		{"GIF87a", "a GIF image"},
		{"GIF89a", "a GIF image"},
		{"II*\x00", "a TIFF image"},
		{"MM\x00*", "a TIFF image"},
		{"\xFF\xFE", "UTF-16 text (convert it to UTF-8 first)"},
		{"\xFE\xFF", "UTF-16 text (convert it to UTF-8 first)"},
	}
	for _, m := range magic {
		if bytes.HasPrefix(b, []byte(m.prefix)) {
			return m.kind
		}
	}
	if len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" {
		return "a WebP image"
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return "a binary file (it contains NUL bytes)"
	}
	if !utf8.Valid(b) {
		return "a binary file or text in another encoding than UTF-8"
	}
	return ""
}

// engineFlags are the detection inputs shared by scan and redact.
type engineFlags struct {
	persons, lists string
}

func (e *engineFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&e.persons, "persons", "", "file of the case's persons, one a line: \"Name; alias; alias\"")
	fs.StringVar(&e.lists, "lists", "", "directory of organisation lists (places.txt, institutions.txt, names.txt, ...)")
}

func (e *engineFlags) engine() (*detect.Engine, []detect.Person, error) {
	eng := detect.Default().With(redact.Ages{})
	var people []detect.Person
	if e.persons != "" {
		f, err := os.Open(e.persons)
		if err != nil {
			return nil, nil, fmt.Errorf("--persons: %w", err)
		}
		people, err = redact.ReadPersons(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("--persons %s: %w", e.persons, err)
		}
		eng = eng.With(detect.NewPersons(people))
	}
	if e.lists != "" {
		if fi, err := os.Stat(e.lists); err != nil {
			return nil, nil, fmt.Errorf("--lists: %w", err)
		} else if !fi.IsDir() {
			return nil, nil, usageError{fmt.Errorf("--lists %s is not a directory", e.lists)}
		}
		l, err := detect.LoadLists(e.lists)
		if err != nil {
			return nil, nil, fmt.Errorf("--lists: %w", err)
		}
		eng = eng.With(l)
	}
	return eng, people, nil
}

// scanFinding is one finding as printed by scan.
type scanFinding struct {
	Type  string  `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
	Rule  string  `json:"rule"`
	Text  *string `json:"text,omitempty"`
}

type scanOutput struct {
	File     string        `json:"file"`
	Format   string        `json:"format"`
	Bytes    int           `json:"bytes"`
	Findings []scanFinding `json:"findings"`
}

// cmdScan implements "varsel scan FILE": it prints the findings in a UTF-8
// text file as JSON, without the matched text unless --show-text.
func cmdScan(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	var showText bool
	var minScore float64
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: varsel scan [flags] FILE

Prints the personal data found in a file as JSON: type, score and the rule
that found it. For UTF-8 text, byte offsets. For a PDF, an image (PNG,
JPEG) or an office file (docx, xlsx, pptx, odt, ods; converted with
LibreOffice), the findings per page with their areas (fractions of the
page from its top-left corner), where the text came from ("text" layer or
"ocr"), the pages without a text layer, and the metadata fields the file
carries. Matched text and metadata values are left out unless --show-text
is given.

Flags:
`)
		fs.PrintDefaults()
	}
	ef.add(fs)
	fs.BoolVar(&showText, "show-text", false, "include the matched text (it is personal data: mind where the output goes)")
	fs.Float64Var(&minScore, "min-score", 0, "print only findings with at least this score")
	ocr := fs.Bool("ocr", false, "PDF and office files: also recognise text on the rendered pages (images are always recognised)")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("give exactly one FILE")}
	}
	eng, _, err := ef.engine()
	if err != nil {
		return err
	}
	if data, ok, err := readDocument(pos[0]); err != nil {
		return err
	} else if ok {
		return scanDocument(pos[0], data, eng, *ocr, showText, minScore, stdout)
	}
	text, err := readTextFile(pos[0])
	if err != nil {
		return err
	}
	out := scanOutput{File: pos[0], Format: "text/plain; charset=utf-8", Bytes: len(text), Findings: []scanFinding{}}
	for _, f := range eng.Scan(text) {
		if f.Score < minScore {
			continue
		}
		sf := scanFinding{Type: f.Type, Start: f.Start, End: f.End, Score: f.Score, Rule: f.Rule}
		if showText {
			sf.Text = &f.Text
		}
		out.Findings = append(out.Findings, sf)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// cmdRedact implements "varsel redact": it writes an anonymised copy of a
// UTF-8 text file, a PDF, an image or an office file.
func cmdRedact(args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	var in, out, lang, regionsFile string
	var categories bool
	var minScore float64
	fs := flag.NewFlagSet("redact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: varsel redact --in FILE --out FILE [flags]

Writes an anonymised copy of a UTF-8 text file. Every finding is replaced by
the neutral mark "[…]", or with --categories by its category label with a
consistent pseudonym per person or value ("[person 1  ]", labels padded to a
fixed width per category), ages and dates of birth generalised to 10-year
bands ("[age 40-49]", "[born 1980-1989]") and, with --regions, places to
their region ("[place in Nord-Norge]"). The input is never changed; the
output is written with mode 0600 through a temporary file in the same
directory.

A PDF, an image (PNG, JPEG) or an office file (docx, xlsx, pptx, odt, ods;
converted with LibreOffice) becomes an image-only PDF (a PNG for an image)
with an opaque box over every finding and every --area: no text layer (with
--ocr, one recognised from the redacted pages), no metadata, one revision.
The copy is written only if it passes the release gate (text extraction,
OCR, a byte scan of the decompressed file and a structure scan find none of
the redacted values or the --persons names).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&in, "in", "", "UTF-8 text file to redact (required)")
	fs.StringVar(&out, "out", "", "where to write the redacted copy (required; not the input)")
	ef.add(fs)
	fs.BoolVar(&categories, "categories", false, "replace by category labels with pseudonyms and generalisation instead of \"[…]\"")
	fs.StringVar(&lang, "lang", "en", "language of the category labels: en, da or nb")
	fs.StringVar(&regionsFile, "regions", "", "with --categories: file of \"place; region\" lines for generalising places")
	fs.Float64Var(&minScore, "min-score", 0.5, "lowest score that is redacted; weaker findings stay and are counted")
	ocr := fs.Bool("ocr", false, "PDF and office files: recognise text on the rendered pages too, and give the copy a text layer recognised from the redacted pages")
	var areas areaList
	fs.Var(&areas, "area", "PDF, image, office: also black out `page:x,y,w,h` (fractions of the page from its top-left corner); repeatable")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageError{fmt.Errorf("unexpected argument %q (use --in and --out)", pos[0])}
	case in == "" || out == "":
		return usageError{errors.New("--in and --out are required")}
	case !slices.Contains(redact.Languages(), lang):
		return usageError{fmt.Errorf("--lang %q: want en, da or nb", lang)}
	case regionsFile != "" && !categories:
		return usageError{errors.New("--regions needs --categories")}
	}
	if err := checkNotSameFile(in, out); err != nil {
		return err
	}

	opt := redact.Options{Mode: redact.Remove, MinScore: minScore, Lang: lang}
	if categories {
		opt = redact.DefaultOptions()
		opt.MinScore, opt.Lang = minScore, lang
		var regions *redact.Regions
		if regionsFile != "" {
			f, err := os.Open(regionsFile)
			if err != nil {
				return fmt.Errorf("--regions: %w", err)
			}
			regions, err = redact.ReadRegions(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("--regions %s: %w", regionsFile, err)
			}
		}
		opt.Generalise = redact.DefaultGeneralisers(regions)
	}
	eng, people, err := ef.engine()
	if err != nil {
		return err
	}
	opt.Persons = people
	if data, ok, err := readDocument(in); err != nil {
		return err
	} else if ok {
		return redactDocument(in, out, data, eng, people, *ocr, areas, minScore, stdout)
	}
	if len(areas) > 0 {
		return usageError{errors.New("--area applies to PDF, image and office files, not to text")}
	}
	text, err := readTextFile(in)
	if err != nil {
		return err
	}
	res, err := redact.Text(text, eng.Scan(text), opt)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(out, []byte(res.Text)); err != nil {
		return err
	}

	counts := map[string]int{}
	for _, r := range res.Replacements {
		counts[r.Type]++
	}
	var types []string
	for t := range counts {
		types = append(types, t)
	}
	slices.Sort(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", t, counts[t]))
	}
	summary := ""
	if len(parts) > 0 {
		summary = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(stdout, "%s: %d replacements%s\n", out, len(res.Replacements), summary)
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(stdout, "%d weaker findings (score below %g) were left in the text; review them with: varsel scan %s\n", n, minScore, in)
	}
	return nil
}

// checkNotSameFile refuses an output path that is, or points to, the input.
func checkNotSameFile(in, out string) error {
	ai, err1 := filepath.Abs(in)
	ao, err2 := filepath.Abs(out)
	if err1 == nil && err2 == nil && ai == ao {
		return usageError{errors.New("--out must not be the input file: the original is never changed")}
	}
	fi, err := os.Stat(in)
	if err != nil {
		return err
	}
	if fo, err := os.Stat(out); err == nil {
		if os.SameFile(fi, fo) {
			return usageError{errors.New("--out must not be the input file: the original is never changed")}
		}
		if fo.IsDir() {
			return usageError{fmt.Errorf("--out %s is a directory", out)}
		}
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, with mode 0600, so that path holds either its old content or
// all of data, never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}
