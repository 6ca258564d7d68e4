package redact

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

// TypeAge is the type of the findings of Ages.
const TypeAge = "AGE"

// language holds the words of one label language.
type language struct {
	categories map[string]string
	other      string // category of types without an entry
	age        string // "age 30-39"
	born       string // "born 1980-1989"
	placeIn    string // "place in Nord-Norge"
}

// languages are the label languages. The words are fixed here rather than
// in the i18n catalogue so that a redacted document does not change when a
// translation does.
var languages = map[string]language{
	"en": {
		categories: map[string]string{
			detect.TypePerson:       "person",
			detect.TypeLocation:     "place",
			detect.TypeOrganization: "organisation",
			detect.TypeDKCPR:        "CPR number",
			detect.TypeNOFnr:        "national ID number",
			detect.TypeSEPnr:        "Swedish ID number",
			detect.TypeFIHetu:       "Finnish ID code",
			detect.TypeNODuf:        "DUF number",
			detect.TypeIBAN:         "account number",
			detect.TypeEmail:        "e-mail",
			detect.TypePhone:        "phone number",
			detect.TypeDateOfBirth:  "date of birth",
			TypeAge:                 "age",
		},
		other: "personal data", age: "age", born: "born", placeIn: "place in",
	},
	"da": {
		categories: map[string]string{
			detect.TypePerson:       "person",
			detect.TypeLocation:     "sted",
			detect.TypeOrganization: "organisation",
			detect.TypeDKCPR:        "CPR-nummer",
			detect.TypeNOFnr:        "fødselsnummer",
			detect.TypeSEPnr:        "svensk personnummer",
			detect.TypeFIHetu:       "finsk personnummer",
			detect.TypeNODuf:        "DUF-nummer",
			detect.TypeIBAN:         "kontonummer",
			detect.TypeEmail:        "e-mail",
			detect.TypePhone:        "telefonnummer",
			detect.TypeDateOfBirth:  "fødselsdato",
			TypeAge:                 "alder",
		},
		other: "personoplysning", age: "alder", born: "født", placeIn: "sted i",
	},
	"nb": {
		categories: map[string]string{
			detect.TypePerson:       "person",
			detect.TypeLocation:     "sted",
			detect.TypeOrganization: "organisasjon",
			detect.TypeDKCPR:        "CPR-nummer",
			detect.TypeNOFnr:        "fødselsnummer",
			detect.TypeSEPnr:        "svensk personnummer",
			detect.TypeFIHetu:       "finsk personnummer",
			detect.TypeNODuf:        "DUF-nummer",
			detect.TypeIBAN:         "kontonummer",
			detect.TypeEmail:        "e-post",
			detect.TypePhone:        "telefonnummer",
			detect.TypeDateOfBirth:  "fødselsdato",
			TypeAge:                 "alder",
		},
		other: "personopplysning", age: "alder", born: "født", placeIn: "sted i",
	},
}

// Languages returns the supported label languages.
func Languages() []string { return []string{"en", "da", "nb"} }

// Category returns the category word for a finding type in lang ("en",
// "da" or "nb"; anything else is English). Types without an entry, such as
// those of organisation-supplied lists, get a generic word: a type name is
// chosen by whoever configures the lists and is not shown.
func Category(typ, lang string) string {
	l, ok := languages[lang]
	if !ok {
		l = languages["en"]
	}
	if c, ok := l.categories[typ]; ok {
		return c
	}
	return l.other
}

// labelInfo is the label of one group.
type labelInfo struct {
	label       string
	n           int
	generalised bool
}

// labelGroups computes the Label-mode label of every group.
func labelGroups(groups []group, opt Options, lang string) []labelInfo {
	out := make([]labelInfo, len(groups))
	keys := make([]string, len(groups))
	var persons []int // indexes of PERSON groups that need a pseudonym
	for i, g := range groups {
		f := g.best.f
		if gen := opt.Generalise[f.Type]; gen != nil {
			if s, ok := gen.Generalise(f.Text, lang); ok {
				if s = cleanLabel(s); s != "" {
					out[i] = labelInfo{label: "[" + s + "]", generalised: true}
					continue
				}
			}
		}
		if !opt.Pseudonyms {
			out[i] = labelInfo{label: "[" + Category(f.Type, lang) + "]"}
			continue
		}
		if f.Type == detect.TypePerson {
			persons = append(persons, i)
			continue
		}
		keys[i] = valueKey(f.Type, f.Text)
	}
	if len(persons) > 0 {
		texts := make([]string, len(persons))
		for j, i := range persons {
			texts[j] = groups[i].best.f.Text
		}
		for j, k := range personKeys(texts, opt.Persons) {
			keys[persons[j]] = k
		}
	}
	// number distinct keys per type in order of first appearance
	next := map[string]int{}
	seen := map[string]int{}
	for i, g := range groups {
		if out[i].label != "" {
			continue
		}
		typ := g.best.f.Type
		cat := Category(typ, lang)
		// Types that share a category word share the numbering, so that two
		// different values never get the same label.
		k := cat + "\x00" + keys[i]
		n, ok := seen[k]
		if !ok {
			next[cat]++
			n = next[cat]
			seen[k] = n
		}
		num := strconv.Itoa(n)
		inner := cat + " " + num
		if opt.FixedWidth {
			if pad := utf8.RuneCountInString(cat) + 1 + numberWidth - utf8.RuneCountInString(inner); pad > 0 {
				inner += strings.Repeat(" ", pad)
			}
		}
		out[i] = labelInfo{label: "[" + inner + "]", n: n}
	}
	return out
}

// LabelWidth returns the width in characters (runes) of the fixed-width
// numbered labels of typ in lang, brackets included.
func LabelWidth(typ, lang string) int {
	return utf8.RuneCountInString(Category(typ, lang)) + 1 + numberWidth + 2
}

// cleanLabel makes a generaliser's output safe to put between brackets: no
// brackets, line breaks or control characters, spaces collapsed.
func cleanLabel(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '[' || r == ']':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || unicode.IsSpace(r):
			return ' '
		case r == utf8.RuneError:
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// valueKey is the normalised form of a non-person value used to give equal
// values the same pseudonym: spelling-folded letters and digits only, so
// that "010190 12345" and "01019012345", or "Ola@Example.org" and
// "ola@example.org", are the same value. Phone numbers are keyed by their
// last eight digits, which drops country codes and trunk prefixes.
func valueKey(typ, text string) string {
	norm, _, _ := detect.Normalize(text)
	folded := detect.FoldName(norm)
	var b strings.Builder
	for _, r := range folded {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || typ == detect.TypeEmail && (r == '@' || r == '.') {
			b.WriteRune(r)
		}
	}
	k := b.String()
	if typ == detect.TypePhone && len(k) > 8 {
		k = k[len(k)-8:]
	}
	return k
}
