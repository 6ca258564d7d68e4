// Package redact produces anonymised copies of texts from the findings of
// package detect: every finding is removed or replaced by a category label in
// square brackets, with consistent pseudonyms within a document ("[person 1]"
// stays person 1), labels of fixed width so that a label's length does not
// reveal the length of what it replaced, and optional generalisation (an
// exact age to an age band, a date of birth to a year band, a town to its
// region).
//
// # Label format
//
// In Label mode a finding becomes "[" + category + "]" or, with pseudonyms,
// "[" + category + " " + n + "]", where category is the language's word for
// the finding's type (see Categories) and n numbers the distinct values of
// that type in order of first appearance. With FixedWidth the part between
// the brackets is padded with spaces (U+0020) after the number to
// len(category)+4 characters (runes), which fits numbers up to 999, so every
// label of one category has the same width:
//
//	[person 1  ]   [person 12 ]   [person 123]   [fødselsnummer 3  ]
//
// A document with a thousand or more distinct values of one type gets wider
// labels for those; that reveals the count, never a length. Generalised
// labels ("[age 30-39]", "[born 1980-1989]", "[place in Nord-Norge]") are
// not numbered and not padded: their text is a function of the band or
// region, not of the removed text.
//
// In Remove mode every finding becomes RemovedMark, "[…]", whatever its type
// and length.
//
// # What is never kept
//
// Result holds the redacted text and, for the handler's review, the type,
// rule, score and offsets of each replacement, never the removed text; the
// package logs nothing and its errors name findings by index only. The
// output consists of the text between the findings, unchanged, and labels
// built from the tables in this package and the configured generalisers, so
// no part of a removed finding survives in it (the tests check that no
// substring of four or more characters does).
package redact

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

// Mode chooses what replaces a finding.
type Mode int

const (
	// Label replaces a finding by its category label, "[person 1]".
	Label Mode = iota
	// Remove replaces every finding by RemovedMark.
	Remove
)

func (m Mode) String() string {
	switch m {
	case Label:
		return "label"
	case Remove:
		return "remove"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// RemovedMark replaces every finding in Remove mode. It has one fixed
// width, so it reveals neither the type nor the length of what it replaced.
const RemovedMark = "[…]"

// numberWidth is the number of digit positions reserved in fixed-width
// pseudonym labels.
const numberWidth = 3

// Options control Text. The zero value is Label mode without pseudonyms,
// padding or generalisation and redacts every finding; start from
// DefaultOptions.
type Options struct {
	Mode Mode
	// Pseudonyms numbers the distinct values of each type within the
	// document: every occurrence of the same person (including spelling
	// variants, initials, the surname alone) gets the same number. Label
	// mode only.
	Pseudonyms bool
	// FixedWidth pads numbered labels to a constant width per category.
	// Label mode only.
	FixedWidth bool
	// Generalise maps a finding type (detect.TypeLocation, TypeAge, ...) to
	// the generaliser that replaces the plain label by a general category,
	// such as "[age 30-39]". A generaliser that cannot generalise a value
	// leaves it to the plain label. Label mode only. See DefaultGeneralisers.
	Generalise map[string]Generaliser
	// MinScore is the lowest score that is redacted. Findings below it are
	// left in the text and listed in Result.Skipped for review.
	MinScore float64
	// Lang is the language of the labels: "en" (the default when empty),
	// "da" or "nb".
	Lang string
	// Persons are the case's own persons. A PERSON finding that matches one
	// person's name or aliases (and no other person's) gets that person's
	// pseudonym, so "Kari Nordmann", "K. Nordmann", "Nordmanns" and an
	// alias all become the same "[person n]".
	Persons []detect.Person
}

// DefaultOptions returns Label mode with pseudonyms and fixed-width labels,
// MinScore 0.5 and English labels, without generalisation.
func DefaultOptions() Options {
	return Options{Mode: Label, Pseudonyms: true, FixedWidth: true, MinScore: 0.5, Lang: "en"}
}

// Replacement describes one replaced span for the handler's review. It
// never holds the removed text.
type Replacement struct {
	Type  string  `json:"type"`
	Rule  string  `json:"rule"`
	Score float64 `json:"score"`
	// Start and End are byte offsets into the input text. When findings
	// overlapped they are the union of their spans and Type, Rule and Score
	// are those of the highest-scoring one; Merged counts the findings.
	Start  int `json:"start"`
	End    int `json:"end"`
	Merged int `json:"merged"`
	// Label is the text that replaced the span; OutStart and OutEnd are its
	// byte offsets in Result.Text.
	Label       string `json:"label"`
	OutStart    int    `json:"out_start"`
	OutEnd      int    `json:"out_end"`
	Pseudonym   int    `json:"pseudonym,omitempty"` // the n of "[person n]", 0 when not numbered
	Generalised bool   `json:"generalised,omitempty"`
}

// Skipped is a finding left in the text because its score was below
// Options.MinScore.
type Skipped struct {
	Type  string  `json:"type"`
	Rule  string  `json:"rule"`
	Score float64 `json:"score"`
	Start int     `json:"start"`
	End   int     `json:"end"`
}

// Result is the redacted text and what was replaced, in text order.
type Result struct {
	Text         string
	Replacements []Replacement
	Skipped      []Skipped
}

// ErrFinding reports a finding whose span does not fit the text.
var ErrFinding = errors.New("redact: finding outside the text")

// span is a finding prepared for replacement: its snapped span and text.
type span struct {
	f          detect.Finding
	start, end int
}

// group is a run of overlapping findings replaced by one label.
type group struct {
	start, end int
	best       span
	n          int
}

// Text redacts text. findings are byte spans into text as produced by
// detect.Engine.Scan; they may overlap, come in any order and need not fall
// on character boundaries (a span is widened to whole characters, since
// removing too much is safer than too little). Finding.Text is ignored: the
// value is always taken from text. A finding with Start < 0, End > len(text)
// or Start > End is an error; empty findings are ignored.
func Text(text string, findings []detect.Finding, opt Options) (Result, error) {
	lang := opt.Lang
	if lang == "" {
		lang = "en"
	}
	if _, ok := languages[lang]; !ok {
		return Result{}, fmt.Errorf("redact: unknown label language %q (want en, da or nb)", lang)
	}
	if opt.Mode != Label && opt.Mode != Remove {
		return Result{}, fmt.Errorf("redact: unknown mode %d", int(opt.Mode))
	}
	if math.IsNaN(opt.MinScore) {
		return Result{}, errors.New("redact: MinScore is NaN")
	}

	var res Result
	var spans []span
	for i, f := range findings {
		if f.Start < 0 || f.End > len(text) || f.Start > f.End {
			return Result{}, fmt.Errorf("%w: finding %d (%s) has span %d..%d, text has %d bytes", ErrFinding, i, safeType(f.Type), f.Start, f.End, len(text))
		}
		s, e := snap(text, f.Start, f.End)
		if s == e {
			continue
		}
		if f.Score < opt.MinScore {
			res.Skipped = append(res.Skipped, Skipped{Type: f.Type, Rule: f.Rule, Score: f.Score, Start: s, End: e})
			continue
		}
		f.Text = text[s:e]
		spans = append(spans, span{f: f, start: s, end: e})
	}
	groups := merge(spans)

	var labels []labelInfo
	if opt.Mode == Label {
		labels = labelGroups(groups, opt, lang)
	}

	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for i, g := range groups {
		b.WriteString(text[prev:g.start])
		r := Replacement{Type: g.best.f.Type, Rule: g.best.f.Rule, Score: g.best.f.Score, Start: g.start, End: g.end, Merged: g.n, OutStart: b.Len()}
		if opt.Mode == Remove {
			r.Label = RemovedMark
		} else {
			r.Label, r.Pseudonym, r.Generalised = labels[i].label, labels[i].n, labels[i].generalised
		}
		b.WriteString(r.Label)
		r.OutEnd = b.Len()
		res.Replacements = append(res.Replacements, r)
		prev = g.end
	}
	b.WriteString(text[prev:])
	res.Text = b.String()
	return res, nil
}

// snap widens start..end to whole UTF-8 sequences. Bytes that are not valid
// UTF-8 count as characters of their own.
func snap(text string, start, end int) (int, int) {
	if start == end {
		return start, end
	}
	start = startOfRune(text, start)
	if k := startOfRune(text, end); k < end {
		_, w := utf8.DecodeRuneInString(text[k:])
		end = k + w
	}
	return start, end
}

// startOfRune returns the start of the valid UTF-8 sequence that contains
// byte i, or i.
func startOfRune(text string, i int) int {
	if i >= len(text) || utf8.RuneStart(text[i]) {
		return i
	}
	for k := i - 1; k >= 0 && i-k < utf8.UTFMax; k-- {
		if utf8.RuneStart(text[k]) {
			if r, w := utf8.DecodeRuneInString(text[k:]); !(r == utf8.RuneError && w <= 1) && k+w > i {
				return k
			}
			return i
		}
	}
	return i
}

// merge sorts spans and joins overlapping ones into groups; each group is
// represented by its highest-scoring span (then the longest, then the
// earliest). Spans that only touch stay apart.
func merge(spans []span) []group {
	slices.SortStableFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var out []group
	for _, s := range spans {
		if k := len(out) - 1; k >= 0 && s.start < out[k].end {
			g := &out[k]
			g.end = max(g.end, s.end)
			g.n++
			if better(s, g.best) {
				g.best = s
			}
			continue
		}
		out = append(out, group{start: s.start, end: s.end, best: s, n: 1})
	}
	return out
}

func better(a, b span) bool {
	if a.f.Score != b.f.Score {
		return a.f.Score > b.f.Score || math.IsNaN(b.f.Score)
	}
	if la, lb := a.end-a.start, b.end-b.start; la != lb {
		return la > lb
	}
	return a.start < b.start
}

// safeType returns typ if it looks like a type name, so that an error
// message cannot carry text smuggled into the Type field.
func safeType(typ string) string {
	if len(typ) > 40 {
		return "?"
	}
	for _, r := range typ {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "?"
		}
	}
	return typ
}
