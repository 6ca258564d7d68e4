// Package detect finds personal data in free text: Nordic national identity
// numbers with their check-digit rules, IBANs, e-mail addresses, phone
// numbers, dates of birth, the case's own persons, capitalised names next to
// cue words, and organisation-supplied lists of places, institutions and
// names.
//
// Matching is tolerant: the text is normalised first (non-breaking and
// zero-width spaces, full-width digits, Unicode dashes, numbers split across
// lines) while a map back to the original byte offsets is kept, so every
// Finding points into the text the caller passed in.
//
// Every Finding carries its Type, its byte span, a Score in [0,1] and the
// Rule that produced it, so a case handler can see why something was found.
package detect

import (
	"sort"
)

// Entity types produced by the built-in detectors.
const (
	TypeDKCPR        = "DK_CPR"
	TypeNOFnr        = "NO_FNR" // fødselsnummer, D-number and H-number; see Rule
	TypeSEPnr        = "SE_PNR" // personnummer and samordningsnummer; see Rule
	TypeFIHetu       = "FI_HETU"
	TypeNODuf        = "NO_DUF"
	TypeIBAN         = "IBAN"
	TypeEmail        = "EMAIL"
	TypePhone        = "PHONE"
	TypeDateOfBirth  = "DATE_OF_BIRTH"
	TypePerson       = "PERSON"
	TypeLocation     = "LOCATION"
	TypeOrganization = "ORGANIZATION"
)

// Finding is one piece of personal data found in a text. Start and End are
// byte offsets into the original text, Text == text[Start:End].
type Finding struct {
	Type       string
	Start, End int
	Text       string
	Score      float64
	Rule       string
}

// Detector finds one or more kinds of personal data.
type Detector interface {
	Name() string
	Detect(text string) []Finding
}

// normDetector is implemented by the built-in detectors so that the Engine
// normalises a text once and shares the result.
type normDetector interface {
	detect(n *normText) []Finding
}

// Engine runs a set of detectors and merges their findings.
type Engine struct {
	detectors []Detector
	// idDates enables the second pass that reports dates equal to the
	// birth date encoded in an identity number found in the same text.
	idDates bool
}

// New returns an Engine running ds. The ID-date pass of DateOfBirth is on
// when one of ds is a *DateOfBirth.
func New(ds ...Detector) *Engine {
	e := &Engine{}
	return e.With(ds...)
}

// Default returns an Engine with every detector that needs no case data:
// identity numbers, IBAN, e-mail, phone, dates of birth and cue words.
// Add Persons and Lists with With.
func Default() *Engine {
	return New(CPR{}, Fnr{}, Personnummer{}, Hetu{}, DUF{}, IBAN{}, Email{}, Phone{}, &DateOfBirth{}, CueWords{})
}

// With returns a copy of e that also runs ds.
func (e *Engine) With(ds ...Detector) *Engine {
	c := &Engine{idDates: e.idDates}
	c.detectors = append(append([]Detector(nil), e.detectors...), ds...)
	for _, d := range ds {
		if _, ok := d.(*DateOfBirth); ok {
			c.idDates = true
		}
	}
	return c
}

// Detectors returns the names of the engine's detectors.
func (e *Engine) Detectors() []string {
	var s []string
	for _, d := range e.detectors {
		s = append(s, d.Name())
	}
	return s
}

// Scan runs every detector over text and returns the findings, merged so
// that no two overlap (the higher score wins; on a tie the longer span, then
// the earlier one) and sorted by position.
func (e *Engine) Scan(text string) []Finding {
	n := normalize(text)
	var all []Finding
	for _, d := range e.detectors {
		if nd, ok := d.(normDetector); ok {
			all = append(all, nd.detect(n)...)
		} else {
			all = append(all, sanitize(text, d.Detect(text))...)
		}
	}
	if e.idDates {
		all = append(all, idDateFindings(n, all)...)
	}
	return Merge(all)
}

// sanitize drops findings from external detectors whose offsets are not
// valid for text and fills in Text and a clamped Score.
func sanitize(text string, fs []Finding) []Finding {
	out := fs[:0:0]
	bounds := runeStarts(text)
	for _, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End || !bounds(f.Start) || !bounds(f.End) {
			continue
		}
		f.Text = text[f.Start:f.End]
		f.Score = clamp01(f.Score)
		out = append(out, f)
	}
	return out
}

func runeStarts(text string) func(int) bool {
	ok := make([]bool, len(text)+1)
	for i := range text {
		ok[i] = true
	}
	ok[len(text)] = true
	return func(i int) bool { return i >= 0 && i <= len(text) && ok[i] }
}

func clamp01(f float64) float64 {
	if f < 0 || f != f {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

// Merge removes overlapping findings, keeping the higher score (then the
// longer, then the earlier span), and sorts the result by position.
func Merge(fs []Finding) []Finding {
	if len(fs) == 0 {
		return nil
	}
	c := append([]Finding(nil), fs...)
	sort.SliceStable(c, func(i, j int) bool {
		a, b := c[i], c[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return la > lb
		}
		return a.Start < b.Start
	})
	var kept []Finding // sorted by Start, pairwise disjoint
	for _, f := range c {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].Start >= f.Start })
		if i > 0 && kept[i-1].End > f.Start {
			continue
		}
		if i < len(kept) && kept[i].Start < f.End {
			continue
		}
		kept = append(kept, Finding{})
		copy(kept[i+1:], kept[i:])
		kept[i] = f
	}
	return kept
}
