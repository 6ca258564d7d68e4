package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CueWords reports runs of capitalised words next to cue words: after a
// party cue (klager, søker, varsler, ansøger, sökande, complainant, ...) a
// PERSON; after a residence cue (bosatt i, bor i, født i, bopæl i, folkbokförd
// i, resident in, ...) a LOCATION; before an institution word (politidistrikt,
// sykehus, fengsel, tingrett, mottak, sygehus, fængsel, byret, sjukhus,
// tingsrätt, anstalt, hospital, prison, court, ...) an ORGANIZATION, which
// also covers compounds such as "Haukeland universitetssykehus" and
// "Rikshospitalet".
type CueWords struct{}

func (CueWords) Name() string                   { return "cuewords" }
func (d CueWords) Detect(text string) []Finding { return d.detect(normalize(text)) }

var personCues = splitCues(`klager|klageren|klagers|søker|søkeren|søkers|varsler|varsleren|varslers|innklagede|den innklagede|den varslede|anmelder|fornærmede|tiltalte|siktede|pasienten|vitnet|vitne|ektefelle|samboer|sønn|sønnen|datter|datteren|bror|broren|søster|søsteren|mor|moren|far|faren|ansøger|ansøgeren|indberetter|indberetteren|whistlebloweren|klagende|partsrepræsentant|hustru|ægtefælle|klaganden|klagande|sökande|sökanden|visselblåsare|visselblåsaren|anmälare|anmälaren|make|maka|dotter|dottern|son|sonen|bror|syster|complainant|applicant|whistleblower|claimant|the accused|witness|spouse|daughter|son|brother|sister|mother|father|herr|fru|hr.|mr|mr.|mrs|mrs.|ms|ms.|dr|dr.|født|née|kantaja|hakija|ilmoittaja`)

var placeCues = splitCues(`bosatt i|bosatt på|bor i|bor på|født i|fødd i|busett i|bosett i|kommer fra|hjemmehørende i|folkeregistrert i|adresse|bosat i|bopæl i|bor i|født i|bosiddende i|bosatt|folkbokförd i|folkbokförd på|skriven i|född i|boende i|kommer från|resident in|resides in|lives in|living in|born in|comes from|address|asuu|kotipaikka|mottaket i|mottak i|asylmottaket i|asylmottak i|sykehuset i|fengselet i|tingretten i|asylcenter|asylcentret i|sygehuset i|fængslet i|sjukhuset i|anstalten i|förvaret i|reception centre in|reception center in|hospital in|prison in`)

var orgSuffixes = []string{"asylmottak", "transittmottak", "mottak", "mottaket", "politidistrikt", "politidistriktet", "sykehus", "sykehuset", "sjukehus", "sjukehuset", "fengsel", "fengselet", "tingrett", "tingretten", "lagmannsrett", "kommune", "barnevern", "barneverntjeneste", "politikreds", "politi", "sygehus", "sygehuset", "hospital", "hospitalet", "fængsel", "fængslet", "byret", "landsret", "asylcenter", "kommun", "sjukhus", "sjukhuset", "tingsrätt", "tingsrätten", "hovrätt", "polisregion", "polisen", "fängelse", "fängelset", "anstalt", "anstalten", "förvar", "förvaret", "vankila", "sairaala", "poliisilaitos", "käräjäoikeus", "prison", "court", "police", "centre", "center", "university", "district"}

// stopCaps are capitalised words that start sentences rather than names.
var stopCaps = map[string]bool{}

func init() {
	for _, w := range strings.Split("i|på|til|fra|den|det|de|en|et|ei|han|hun|vi|dere|jeg|som|og|men|at|av|for|med|om|etter|da|når|hvis|the|a|an|in|at|on|to|from|he|she|they|we|i|of|and|but|when|if|this|that|der|han|hun|jag|hon|och|till|från|med|efter|när|om|det|den|som|ved|hos|mot|under|over|under|klager|søker|varsler|mottak|sykehus|fengsel|tingrett|politidistrikt|dette|denne|disse|her|mr|mrs|ms|dr|herr|fru|hr", "|") {
		stopCaps[w] = true
	}
}

// cueIndex maps a cue's first word (without a trailing '.') to the cues
// starting with it.
type cueIndex map[string][][]string

func splitCues(s string) cueIndex {
	out := cueIndex{}
	for _, c := range strings.Split(s, "|") {
		f := strings.Fields(c)
		k := strings.TrimSuffix(f[0], ".")
		out[k] = append(out[k], f)
	}
	return out
}

type word struct {
	ns, ne int
	lower  string
	cap    bool
}

// words tokenises the normalised text into words: letters and digits, with
// inner hyphens or apostrophes, and a trailing '.' kept for abbreviations.
func words(s string) []word {
	var out []word
	isW := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isW(r) {
			i += w
			continue
		}
		j := i + w
		for j < len(s) {
			r2, w2 := utf8.DecodeRuneInString(s[j:])
			if isW(r2) {
				j += w2
				continue
			}
			if (r2 == '-' || r2 == '\'') && j+w2 < len(s) {
				r3, _ := utf8.DecodeRuneInString(s[j+w2:])
				if unicode.IsLetter(r3) {
					j += w2
					continue
				}
			}
			break
		}
		out = append(out, word{ns: i, ne: j, lower: strings.ToLower(s[i:j]), cap: unicode.IsUpper(r)})
		i = j
	}
	return out
}

func (CueWords) detect(n *normText) []Finding {
	ws := words(n.s)
	s := n.s
	var out []Finding
	gapOK := func(a, b int) bool { // gap between word a and b inside a name
		g := s[ws[a].ne:ws[b].ns]
		return g == " " || g == "-"
	}
	// capRun collects up to 4 capitalised words starting at i.
	capRun := func(i int) int {
		j := i
		for j < len(ws) && j-i < 4 && ws[j].cap && !stopCaps[ws[j].lower] && (j == i || gapOK(j-1, j)) {
			j++
		}
		// allow a lower-case particle inside a name: "van", "von", "de", "af"
		return j
	}
	matchCue := func(i int, cue []string) bool {
		if i+len(cue) > len(ws) {
			return false
		}
		for k, c := range cue {
			w := ws[i+k].lower
			if strings.HasSuffix(c, ".") {
				if w != c[:len(c)-1] || ws[i+k].ne >= len(s) || s[ws[i+k].ne] != '.' {
					return false
				}
				continue
			}
			if w != c {
				return false
			}
		}
		return true
	}
	after := func(i int, cue []string) (int, bool) {
		j := i + len(cue)
		if j >= len(ws) {
			return 0, false
		}
		g := strings.TrimSpace(s[ws[j-1].ne:ws[j].ns])
		g = strings.TrimPrefix(g, ".")
		g = strings.TrimSpace(strings.Trim(g, ":,()"))
		if g != "" || strings.Count(s[ws[j-1].ne:ws[j].ns], "\n") > 1 {
			return 0, false
		}
		return j, true
	}
	for i := range ws {
		for _, cues := range []struct {
			list  cueIndex
			typ   string
			rule  string
			score float64
		}{{personCues, TypePerson, "cue.person", 0.7}, {placeCues, TypeLocation, "cue.location", 0.7}} {
			for _, c := range cues.list[ws[i].lower] {
				if !matchCue(i, c) {
					continue
				}
				j, ok := after(i, c)
				if !ok {
					continue
				}
				e := capRun(j)
				if e > j {
					out = append(out, n.finding(cues.typ, ws[j].ns, ws[e-1].ne, cues.score, cues.rule))
				}
			}
		}
		// institution suffix
		w := ws[i]
		for _, suf := range orgSuffixes {
			if !strings.HasSuffix(w.lower, suf) {
				continue
			}
			start := i
			for k := i - 1; k >= 0 && i-k <= 3 && ws[k].cap && !stopCaps[ws[k].lower] && gapOK(k, k+1); k-- {
				start = k
			}
			compound := w.cap && len(w.lower) > len(suf) && !stopCaps[w.lower]
			if start == i && !compound {
				break
			}
			if !w.cap && len(w.lower) > len(suf) && start == i {
				break
			}
			// English title case ("Oslo University Hospital") needs a
			// capitalised suffix word; Nordic compounds are lower case.
			score := 0.7
			if start == i {
				score = 0.55
			}
			out = append(out, n.finding(TypeOrganization, ws[start].ns, w.ne, score, "cue.institution"))
			break
		}
	}
	return append(out, structural(n, ws, out)...)
}
