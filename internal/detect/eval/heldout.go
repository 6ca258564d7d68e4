package eval

// The held-out corpus: about 80 short case texts written by hand, before
// and without reading the detectors' rules, so that its figures say
// something the synthetic corpus cannot. The source is a markup file per
// language (testdata/heldout/*.txt); heldout.jsonl is rendered from it
// (go test ./internal/detect/eval -run TestHeldoutJSONLIsRenderedFromSource
// -update) and is what the command and other tools read.
//
// Markup, one document per "### ID LANG STYLE" header:
//
//	⟦TYPE:text⟧             an entity of TYPE (detect.Type* names)
//	⟦TYPE/tag,tag:text⟧     the same with difficulty tags
//	⟦~kind:text⟧            a labelled negative: must not be found
//	⟦TYPE=gen|args|PATTERN⟧ an ID number made by code with valid (or,
//	                        for the *-bad generators, deliberately wrong)
//	                        check digits, laid out by PATTERN: each # takes
//	                        the next character of the canonical number
//	@persons A | B (alias C; D)  the case's own persons, as a handler has them
//	{nbsp} {zwsp} \n        a non-breaking space, a zero-width space and a
//	                        line break, so the source shows where they are

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

//go:embed testdata/heldout/heldout.jsonl
var heldoutJSONL []byte

// Heldout returns the embedded held-out corpus.
func Heldout() ([]Doc, error) {
	return ReadJSONL(strings.NewReader(string(heldoutJSONL)))
}

// LoadJSONL reads a labelled corpus in the held-out JSONL format from path.
func LoadJSONL(path string) ([]Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	docs, err := ReadJSONL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return docs, nil
}

type jsonSpan struct {
	Type  string   `json:"type,omitempty"`
	Kind  string   `json:"kind,omitempty"`
	Start int      `json:"start"`
	End   int      `json:"end"`
	Text  string   `json:"text"`
	Tags  []string `json:"tags,omitempty"`
}

type jsonPerson struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type jsonDoc struct {
	ID        string       `json:"id"`
	Lang      string       `json:"lang"`
	Style     string       `json:"style"`
	Text      string       `json:"text"`
	Persons   []jsonPerson `json:"persons,omitempty"`
	Entities  []jsonSpan   `json:"entities"`
	Negatives []jsonSpan   `json:"negatives,omitempty"`
}

// maxLine bounds one JSONL record; the held-out texts are a few KB each.
const maxLine = 4 << 20

// ReadJSONL parses a corpus, one document per line, and checks every span:
// in range, on UTF-8 boundaries and equal to its recorded text, so a label
// that drifted from its text is an error, not a silent miss.
func ReadJSONL(r io.Reader) ([]Doc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var docs []Doc
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var jd jsonDoc
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&jd); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if jd.ID == "" || seen[jd.ID] {
			return nil, fmt.Errorf("line %d: missing or repeated id %q", n, jd.ID)
		}
		seen[jd.ID] = true
		d := Doc{ID: jd.ID, Lang: jd.Lang, Style: jd.Style, Text: jd.Text}
		for _, p := range jd.Persons {
			d.Persons = append(d.Persons, detect.Person{Name: p.Name, Aliases: p.Aliases})
		}
		for _, e := range jd.Entities {
			if e.Type == "" {
				return nil, fmt.Errorf("line %d (%s): entity without type", n, jd.ID)
			}
			d.Gold = append(d.Gold, Span{Type: e.Type, Start: e.Start, End: e.End, Text: e.Text, Tags: e.Tags})
		}
		for _, e := range jd.Negatives {
			if e.Kind == "" {
				return nil, fmt.Errorf("line %d (%s): negative without kind", n, jd.ID)
			}
			d.Negatives = append(d.Negatives, Span{Type: e.Kind, Start: e.Start, End: e.End, Text: e.Text, Tags: e.Tags})
		}
		if err := d.Check(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	return docs, nil
}

// Check reports the first span that is out of range, splits a UTF-8
// sequence, or does not cover its recorded text.
func (d Doc) Check() error {
	if !utf8.ValidString(d.Text) {
		return fmt.Errorf("%s: text is not UTF-8", d.ID)
	}
	for _, set := range [][]Span{d.Gold, d.Negatives} {
		for _, s := range set {
			if s.Start < 0 || s.End > len(d.Text) || s.Start >= s.End {
				return fmt.Errorf("%s: span %s [%d,%d) out of range", d.ID, s.Type, s.Start, s.End)
			}
			if !utf8.RuneStart(d.Text[s.Start]) || (s.End < len(d.Text) && !utf8.RuneStart(d.Text[s.End])) {
				return fmt.Errorf("%s: span %s [%d,%d) splits a character", d.ID, s.Type, s.Start, s.End)
			}
			if s.Text != "" && d.Text[s.Start:s.End] != s.Text {
				return fmt.Errorf("%s: span %s [%d,%d) is %q, label says %q", d.ID, s.Type, s.Start, s.End, d.Text[s.Start:s.End], s.Text)
			}
		}
	}
	return nil
}

// WriteJSONL writes docs in the format ReadJSONL reads.
func WriteJSONL(w io.Writer, docs []Doc) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range docs {
		jd := jsonDoc{ID: d.ID, Lang: d.Lang, Style: d.Style, Text: d.Text, Entities: []jsonSpan{}}
		for _, p := range d.Persons {
			jd.Persons = append(jd.Persons, jsonPerson{Name: p.Name, Aliases: p.Aliases})
		}
		for _, s := range d.Gold {
			jd.Entities = append(jd.Entities, jsonSpan{Type: s.Type, Start: s.Start, End: s.End, Text: d.Text[s.Start:s.End], Tags: s.Tags})
		}
		for _, s := range d.Negatives {
			jd.Negatives = append(jd.Negatives, jsonSpan{Kind: s.Type, Start: s.Start, End: s.End, Text: d.Text[s.Start:s.End], Tags: s.Tags})
		}
		if err := enc.Encode(jd); err != nil {
			return fmt.Errorf("write %s: %w", d.ID, err)
		}
	}
	return nil
}

// LoadMarkupDir renders every *.txt markup file of dir, in name order.
func LoadMarkupDir(dir string) ([]Doc, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("list markup: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.txt markup in %s", dir)
	}
	slices.Sort(names)
	var docs []Doc
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read markup: %w", err)
		}
		ds, err := ParseMarkup(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		docs = append(docs, ds...)
	}
	return docs, nil
}

// Entity types a markup label may name.
var knownTypes = map[string]bool{
	detect.TypeDKCPR: true, detect.TypeNOFnr: true, detect.TypeSEPnr: true, detect.TypeFIHetu: true,
	detect.TypeNODuf: true, detect.TypeIBAN: true, detect.TypeEmail: true, detect.TypePhone: true,
	detect.TypeDateOfBirth: true, detect.TypePerson: true, detect.TypeLocation: true, detect.TypeOrganization: true,
}

// commonWordNames are surnames in the corpus that are also ordinary words
// (hill, beach, grove, quick, …); a label on one is tagged common-word so
// the report shows how the detectors do on them.
var commonWordNames = map[string]bool{
	"rask": true, "berg": true, "bakke": true, "strand": true, "lund": true, "dal": true, "vik": true,
	"moe": true, "sand": true, "bø": true, "fjeld": true, "lia": true, "holm": true, "aas": true,
	"sund": true, "skov": true, "vang": true, "ek": true, "back": true, "salo": true, "holt": true,
}

// ParseMarkup renders one markup file into documents.
func ParseMarkup(src string) ([]Doc, error) {
	var docs []Doc
	var cur *Doc
	var body []string
	flush := func() error {
		if cur == nil {
			return nil
		}
		// Trailing blank lines separate documents; they are not text.
		for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
			body = body[:len(body)-1]
		}
		if err := renderBody(cur, strings.Join(body, "\n")); err != nil {
			return fmt.Errorf("%s: %w", cur.ID, err)
		}
		if len(cur.Gold) == 0 {
			return fmt.Errorf("%s: no entity labelled", cur.ID)
		}
		docs = append(docs, *cur)
		cur, body = nil, nil
		return nil
	}
	for n, line := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			if err := flush(); err != nil {
				return nil, err
			}
			f := strings.Fields(line[4:])
			if len(f) != 3 {
				return nil, fmt.Errorf("line %d: header wants ### ID LANG STYLE", n+1)
			}
			for _, d := range docs {
				if d.ID == f[0] {
					return nil, fmt.Errorf("line %d: repeated id %s", n+1, f[0])
				}
			}
			cur = &Doc{ID: f[0], Lang: f[1], Style: f[2]}
		case strings.HasPrefix(line, "@persons "):
			if cur == nil {
				return nil, fmt.Errorf("line %d: @persons before a header", n+1)
			}
			ps, err := parsePersons(line[len("@persons "):])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			cur.Persons = append(cur.Persons, ps...)
		case cur == nil:
			if strings.TrimSpace(line) != "" {
				return nil, fmt.Errorf("line %d: text before the first header", n+1)
			}
		default:
			if len(body) == 0 && strings.TrimSpace(line) == "" {
				continue
			}
			body = append(body, line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

func parsePersons(s string) ([]detect.Person, error) {
	var out []detect.Person
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		var p detect.Person
		if i := strings.Index(part, "(alias "); i >= 0 {
			if !strings.HasSuffix(part, ")") {
				return nil, fmt.Errorf("unclosed alias in %q", part)
			}
			for _, a := range strings.Split(part[i+len("(alias "):len(part)-1], ";") {
				if a = strings.TrimSpace(a); a != "" {
					p.Aliases = append(p.Aliases, a)
				}
			}
			part = strings.TrimSpace(part[:i])
		}
		if part == "" {
			return nil, errors.New("empty person name")
		}
		p.Name = part
		out = append(out, p)
	}
	return out, nil
}

var escapes = strings.NewReplacer("{nbsp}", "\u00a0", "{zwsp}", "\u200b", `\n`, "\n")

const (
	openMark  = "⟦"
	closeMark = "⟧"
)

func renderBody(d *Doc, src string) error {
	var b strings.Builder
	item := 0
	for {
		i := strings.Index(src, openMark)
		if i < 0 {
			if strings.Contains(src, closeMark) {
				return errors.New("unopened " + closeMark)
			}
			b.WriteString(escapes.Replace(src))
			break
		}
		if strings.Contains(src[:i], closeMark) {
			return errors.New("unopened " + closeMark)
		}
		b.WriteString(escapes.Replace(src[:i]))
		src = src[i+len(openMark):]
		j := strings.Index(src, closeMark)
		if j < 0 {
			return errors.New("unclosed " + openMark)
		}
		label := src[:j]
		src = src[j+len(closeMark):]
		if strings.Contains(label, openMark) {
			return fmt.Errorf("nested label in %q", label)
		}
		item++
		head, value, gen := label, "", false
		if k := strings.IndexAny(label, ":="); k >= 0 {
			head, value, gen = label[:k], label[k+1:], label[k] == '='
		} else {
			return fmt.Errorf("label %q wants TYPE:text or TYPE=generator", label)
		}
		typ, tagList, _ := strings.Cut(head, "/")
		var tags []string
		if tagList != "" {
			tags = strings.Split(tagList, ",")
		}
		negative := strings.HasPrefix(typ, "~")
		if negative {
			typ = typ[1:]
		} else if !knownTypes[typ] {
			return fmt.Errorf("unknown type %q", typ)
		}
		if gen {
			v, bad, err := generate(d.ID, item, value)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			value = v
			if bad && !slices.Contains(tags, "invalid-check") {
				tags = append(tags, "invalid-check")
			}
		} else {
			value = escapes.Replace(value)
		}
		if value == "" {
			return fmt.Errorf("empty label %q", label)
		}
		st := b.Len()
		b.WriteString(value)
		sp := Span{Type: typ, Start: st, End: b.Len(), Text: value, Tags: autoTags(typ, value, tags)}
		if negative {
			d.Negatives = append(d.Negatives, sp)
		} else {
			d.Gold = append(d.Gold, sp)
		}
	}
	d.Text = b.String()
	return d.Check()
}

// autoTags adds the difficulty tags that can be read off the value, so the
// markup need not repeat them.
func autoTags(typ, v string, tags []string) []string {
	add := func(t string) {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if strings.ContainsAny(v, "\n") {
		add("linebreak")
	}
	if strings.Contains(v, "\u00a0") {
		add("nbsp")
	}
	if strings.Contains(v, "\u200b") {
		add("zwsp")
	}
	if typ == detect.TypePerson || typ == detect.TypeLocation || typ == detect.TypeOrganization {
		hasLetter, lower, upper := false, true, true
		for _, r := range v {
			if unicode.IsLetter(r) {
				hasLetter = true
				lower = lower && unicode.IsLower(r)
				upper = upper && unicode.IsUpper(r)
			}
		}
		if hasLetter && lower {
			add("lower")
		}
		if hasLetter && upper && utf8.RuneCountInString(v) > 2 {
			add("caps")
		}
	}
	if typ == detect.TypePerson {
		if strings.Contains(v, "-") {
			add("hyphen")
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ' ' || r == ',' || r == '-' }) {
			if commonWordNames[w] {
				add("common-word")
			}
		}
	}
	slices.Sort(tags)
	return tags
}

// generate makes the ID number of a ⟦TYPE=gen|args|PATTERN⟧ label. The
// random part is seeded from the document id and the label's position,
// so rendering is reproducible.
func generate(docID string, item int, spec string) (string, bool, error) {
	f := strings.Split(spec, "|")
	if len(f) < 2 {
		return "", false, errors.New("generator wants gen|args|PATTERN")
	}
	h := fnv.New64a()
	h.Write([]byte(docID))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(item)))
	pattern := escapes.Replace(f[len(f)-1])
	args := f[1 : len(f)-1]
	date := func(i int) (time.Time, error) {
		if len(args) <= i {
			return time.Time{}, errors.New("missing date")
		}
		return time.Parse("2006-01-02", args[i])
	}
	var canon string
	bad := strings.HasSuffix(f[0], "-bad")
	switch strings.TrimSuffix(f[0], "-bad") {
	case "fnr", "dnr", "hnr":
		t, err := date(0)
		if err != nil {
			return "", false, err
		}
		if len(args) < 2 {
			return "", false, errors.New("fnr wants DATE|m or f|PATTERN")
		}
		canon = genFnr(r, t, args[1] == "m", strings.TrimSuffix(f[0], "-bad"), bad)
	case "cpr", "cpr-nomod":
		t, err := date(0)
		if err != nil {
			return "", false, err
		}
		if len(args) < 2 {
			return "", false, errors.New("cpr wants DATE|m or f|PATTERN")
		}
		canon = genCPR(r, t, args[1] == "m", f[0] == "cpr")
	case "pnr", "snr":
		t, err := date(0)
		if err != nil {
			return "", false, err
		}
		canon = genPnr(r, t, f[0] == "snr", strings.Count(pattern, "#") == 12)
	case "hetu":
		t, err := date(0)
		if err != nil {
			return "", false, err
		}
		canon = genHetu(r, t)
	case "duf":
		if len(args) < 1 {
			return "", false, errors.New("duf wants YEAR|PATTERN")
		}
		y, err := strconv.Atoi(args[0])
		if err != nil || y < 1900 || y > 2100 {
			return "", false, fmt.Errorf("bad DUF year %q", args[0])
		}
		canon = genDUF(r, y, bad)
	case "iban":
		if len(args) < 1 {
			return "", false, errors.New("iban wants CC|PATTERN")
		}
		c, err := genIBAN(r, args[0])
		if err != nil {
			return "", false, err
		}
		canon = c
	default:
		return "", false, fmt.Errorf("unknown generator %q", f[0])
	}
	out, err := layout(canon, pattern)
	return out, bad, err
}

// layout fills the # of pattern with canon. A literal prefix of pattern
// that canon also starts with (an IBAN's country code) is taken as is.
func layout(canon, pattern string) (string, error) {
	lit := pattern[:len(pattern)-len(strings.TrimLeft(pattern, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
	if lit != "" && strings.HasPrefix(canon, lit) {
		canon, pattern = canon[len(lit):], pattern[len(lit):]
	}
	if n := strings.Count(pattern, "#"); n != len(canon) {
		return "", fmt.Errorf("pattern has %d #, number %q has %d characters", n, canon, len(canon))
	}
	var b strings.Builder
	b.WriteString(lit)
	k := 0
	for _, c := range pattern {
		if c == '#' {
			b.WriteByte(canon[k])
			k++
		} else {
			b.WriteRune(c)
		}
	}
	return b.String(), nil
}
