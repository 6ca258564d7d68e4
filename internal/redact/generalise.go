package redact

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/detect"
)

// Generaliser replaces a value by a general category, such as an age band,
// so that a redacted document still shows practice. Generalise gets the
// removed text and the label language and returns the words to put between
// the brackets ("age 30-39"), or ok false to leave the value to the plain
// category label. The result must not reveal the value: it is put into the
// output as it is (only brackets and line breaks are removed).
type Generaliser interface {
	Generalise(text, lang string) (category string, ok bool)
}

// GeneraliserFunc adapts a function to Generaliser.
type GeneraliserFunc func(text, lang string) (string, bool)

// Generalise calls f.
func (f GeneraliserFunc) Generalise(text, lang string) (string, bool) { return f(text, lang) }

func words(lang string) language {
	if l, ok := languages[lang]; ok {
		return l
	}
	return languages["en"]
}

// digitRuns returns the runs of ASCII digits in s, after normalisation
// (full-width digits count).
func digitRuns(s string) []string {
	norm, _, _ := detect.Normalize(s)
	return digitsRe.FindAllString(norm, -1)
}

var digitsRe = regexp.MustCompile(`[0-9]+`)

// AgeBand turns an age ("42 år gammel", "aged 42") into a band of Width
// years (default 10): "[age 40-49]", "[alder 40-49]". A text with no number
// or more than one, or an age over 130, is not generalised.
type AgeBand struct{ Width int }

func (a AgeBand) Generalise(text, lang string) (string, bool) {
	runs := digitRuns(text)
	if len(runs) != 1 || len(runs[0]) > 3 {
		return "", false
	}
	age, _ := strconv.Atoi(runs[0])
	if age > 130 {
		return "", false
	}
	lo, hi := band(age, a.Width)
	return fmt.Sprintf("%s %d-%d", words(lang).age, lo, hi), true
}

// BirthYearBand turns a date of birth with a four-digit year into a band of
// Width years (default 10): "[born 1980-1989]", "[født 1980-1989]". Dates
// with a two-digit year or none are not generalised, since the century is
// unknown.
type BirthYearBand struct{ Width int }

func (y BirthYearBand) Generalise(text, lang string) (string, bool) {
	year := -1
	for _, r := range digitRuns(text) {
		if len(r) == 4 {
			if year >= 0 {
				return "", false
			}
			year, _ = strconv.Atoi(r)
		}
	}
	if year < 1800 || year > 2199 {
		return "", false
	}
	lo, hi := band(year, y.Width)
	return fmt.Sprintf("%s %d-%d", words(lang).born, lo, hi), true
}

func band(v, width int) (lo, hi int) {
	if width <= 0 {
		width = 10
	}
	lo = v / width * width
	return lo, lo + width - 1
}

// Regions generalises a place to its region: "[place in Nord-Norge]",
// "[sted i Nord-Norge]". Places are matched with the same spelling folding
// as names ("Tromsø", "Tromso", "Tromsoe") and an optional genitive -s.
type Regions struct {
	m map[string]string
}

// NewRegions returns Regions for a map from place to region.
func NewRegions(places map[string]string) *Regions {
	r := &Regions{m: map[string]string{}}
	for p, reg := range places {
		r.Add(p, reg)
	}
	return r
}

// Add adds a place and its region.
func (r *Regions) Add(place, region string) {
	if r.m == nil {
		r.m = map[string]string{}
	}
	if k := placeKey(place); k != "" && strings.TrimSpace(region) != "" {
		r.m[k] = strings.TrimSpace(region)
	}
}

// Len returns the number of places.
func (r *Regions) Len() int { return len(r.m) }

func placeKey(s string) string { return strings.Join(nameTokens(s), " ") }

func (r *Regions) Generalise(text, lang string) (string, bool) {
	if r == nil {
		return "", false
	}
	k := placeKey(text)
	reg, ok := r.m[k]
	if !ok && strings.HasSuffix(k, "s") {
		reg, ok = r.m[strings.TrimSuffix(k, "s")]
	}
	// A region named like the place ("Oslo" in "Oslo") would give it away.
	if !ok || k == "" || strings.Contains(placeKey(reg), k) {
		return "", false
	}
	return words(lang).placeIn + " " + reg, true
}

// ReadRegions reads a place-to-region table, one place a line: "Tromsø;
// Nord-Norge". Empty lines and lines starting with '#' are skipped.
func ReadRegions(rd io.Reader) (*Regions, error) {
	r := &Regions{m: map[string]string{}}
	err := readLines(rd, func(no int, line string) error {
		place, region, ok := strings.Cut(line, ";")
		if !ok || strings.TrimSpace(place) == "" || strings.TrimSpace(region) == "" {
			return fmt.Errorf("line %d: want \"place; region\"", no)
		}
		r.Add(place, region)
		return nil
	})
	return r, err
}

// DefaultGeneralisers returns the generalisation rules of the issue: ages
// to 10-year bands, dates of birth to 10-year bands of the birth year and,
// when regions is not nil, places to their region.
func DefaultGeneralisers(regions *Regions) map[string]Generaliser {
	g := map[string]Generaliser{
		TypeAge:                AgeBand{Width: 10},
		detect.TypeDateOfBirth: BirthYearBand{Width: 10},
	}
	if regions != nil {
		g[detect.TypeLocation] = regions
	}
	return g
}

// Ages is a detector of stated ages, which package detect does not report:
// "42 år gammel", "42-årig", "42 years old", "a 42-year-old", "aged 42",
// "age: 42", "alder: 42", "i en alder av 42 år", "42-vuotias". A finding
// spans the whole phrase, so "[age 40-49]" replaces "42 år gammel".
type Ages struct{}

var ageRes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(?:aged|age:|age of|alder:|alder av|alder på|ålder:|ålder av|åldern|ikä:)\s*\d{1,3}(?:\s*år\b)?`),
	regexp.MustCompile(`(?i)\b\d{1,3}(?:\s*år\s+(?:gammel|gamle|gammal|gamla|gml\.?)|\s*-?\s*årig(?:e|a|en)?|-?åring(?:en)?|\s*years?\s+old|-years?-old|-?vuotias|-?vuotiaana)`),
}

func (Ages) Name() string { return "ages" }

func (Ages) Detect(text string) []detect.Finding {
	var out []detect.Finding
	for _, re := range ageRes {
		for _, m := range re.FindAllStringIndex(text, -1) {
			runs := digitRuns(text[m[0]:m[1]])
			if len(runs) != 1 {
				continue
			}
			if n, _ := strconv.Atoi(runs[0]); n > 130 {
				continue
			}
			out = append(out, detect.Finding{Type: TypeAge, Start: m[0], End: m[1], Text: text[m[0]:m[1]], Score: 0.7, Rule: "age.cue"})
		}
	}
	return out
}
