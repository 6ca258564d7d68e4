package detect

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Person is one of the case's own persons: a party, a witness or a
// relative, with any aliases.
type Person struct {
	Name    string
	Aliases []string
}

// Persons matches the case's own persons exactly and approximately:
// spelling variants (ø/oe/o, å/aa/a, æ/ae, ä/ae, ö/oe, accents), the
// genitive -s, "Surname, Given", initials ("K. Nordmann"), the surname or
// the given name alone (lower scores), and the name inside an e-mail
// address (kari.nordmann@…, knordmann@…).
type Persons struct {
	m *phraseMatcher
}

// NewPersons builds a Persons detector for people.
func NewPersons(people []Person) *Persons {
	m := newPhraseMatcher()
	for _, p := range people {
		addName(m, p.Name, "person", 0.95)
		for _, a := range p.Aliases {
			addName(m, a, "person.alias", 0.9)
		}
	}
	return &Persons{m: m}
}

func addName(m *phraseMatcher, name, rule string, score float64) {
	toks := strings.Fields(foldKey(name))
	if len(toks) == 0 {
		return
	}
	e := func(r string, s float64) phraseEntry {
		return phraseEntry{typ: TypePerson, rule: r, score: s, capital: true}
	}
	m.add(strings.Join(toks, " "), e(rule+".name", score))
	if len(toks) == 1 {
		return
	}
	first, last := toks[0], toks[len(toks)-1]
	m.add(first+" "+last, e(rule+".name", score-0.03))
	m.add(last+" "+first, e(rule+".reversed", score-0.05))
	m.add(fr(first)+" "+last, e(rule+".initials", score-0.1))
	if len(toks) > 2 {
		var ini []string
		for _, t := range toks[:len(toks)-1] {
			ini = append(ini, fr(t))
		}
		m.add(strings.Join(ini, " ")+" "+last, e(rule+".initials", score-0.1))
		m.add(first+" "+fr(toks[1])+" "+last, e(rule+".initials", score-0.08))
	}
	// e-mail style concatenations
	m.add(first+last, e(rule+".concat", score-0.15))
	m.add(fr(first)+last, e(rule+".concat", score-0.15))
	if len([]rune(last)) >= 3 {
		m.add(last, e(rule+".surname", score-0.25))
	}
	if len([]rune(first)) >= 3 {
		m.add(first, e(rule+".given", score-0.35))
	}
}

func (*Persons) Name() string                   { return "persons" }
func (p *Persons) Detect(text string) []Finding { return p.detect(normalize(text)) }
func (p *Persons) detect(n *normText) []Finding { return p.m.match(n) }

// Lists matches organisation-supplied lists of places, institutions and
// names. Each list is a UTF-8 file with one entry per line ('#' starts a
// comment); the file's base name gives the type: places/steder/locations
// → LOCATION, institutions/organisations/organizations/employers →
// ORGANIZATION, names/persons/navn → PERSON, anything else its upper-cased
// base name. Entries are matched with the same folding as Persons; an entry
// written with a capital must appear with a capital.
type Lists struct {
	m *phraseMatcher
}

func listType(stem string) string {
	switch strings.ToLower(stem) {
	case "places", "steder", "stader", "locations", "place":
		return TypeLocation
	case "institutions", "organisations", "organizations", "employers", "institusjoner":
		return TypeOrganization
	case "names", "persons", "navn", "people":
		return TypePerson
	}
	return strings.ToUpper(stem)
}

// LoadLists reads every *.txt file in dir.
func LoadLists(dir string) (*Lists, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	l := &Lists{m: newPhraseMatcher()}
	for _, f := range files {
		stem := strings.TrimSuffix(filepath.Base(f), ".txt")
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		var entries []string
		for sc.Scan() {
			line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			entries = append(entries, line)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
		l.Add(listType(stem), "list."+strings.ToLower(stem), entries...)
	}
	return l, nil
}

// Add adds entries of type typ, reported with rule.
func (l *Lists) Add(typ, rule string, entries ...string) {
	if l.m == nil {
		l.m = newPhraseMatcher()
	}
	for _, e := range entries {
		r, _ := utf8.DecodeRuneInString(e)
		l.m.add(e, phraseEntry{typ: typ, rule: rule, score: 0.8, capital: unicode.IsUpper(r)})
	}
}

func (*Lists) Name() string { return "lists" }
func (l *Lists) Detect(text string) []Finding {
	return l.detect(normalize(text))
}
func (l *Lists) detect(n *normText) []Finding {
	if l.m == nil {
		return nil
	}
	return l.m.match(n)
}

// fr returns the first rune of s as a string.
func fr(s string) string {
	_, w := utf8.DecodeRuneInString(s)
	return s[:w]
}
