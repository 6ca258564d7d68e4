package detect

// Shapes of names that case texts give away without a party cue word,
// added after the held-out evaluation (docs/benchmarks.md) showed them as
// the largest groups of misses: employers named with a legal form
// ("Nordvik Bygg AS"), care institutions named after their kind
// ("Plejecenter Solbakken"), street addresses, people in e-mail headers,
// attendance lists, greetings and signatures, and later mentions of a
// person already found ("Rask er også den, der …").

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// legalForms are company-form suffixes, matched in this exact spelling so
// that the English "as" or Swedish "ab" in running text do not count.
var legalForms = map[string]bool{
	"AS": true, "ASA": true, "ANS": true, "DA": true, "ApS": true, "A/S": true, "I/S": true, "K/S": true,
	"P/S": true, "IVS": true, "AB": true, "HB": true, "KB": true, "Oy": true, "Oyj": true, "Ab": true,
	"Ltd": true, "Ltd.": true, "Limited": true, "PLC": true, "plc": true, "GmbH": true, "Inc": true,
	"Inc.": true, "LLC": true, "SA": true, "AG": true, "BV": true,
}

// institutionHeads name a kind of institution before its proper name:
// "Plejecenter Solbakken", "anstalten Hall", "Polisregion Syd".
var institutionHeads = map[string]bool{
	"plejecenter": true, "plejecentret": true, "plejehjem": true, "plejehjemmet": true, "sykehjem": true,
	"sykehjemmet": true, "omsorgssenter": true, "omsorgssenteret": true, "äldreboende": true,
	"äldreboendet": true, "boendet": true, "hoivakoti": true, "palvelutalo": true, "børnehjem": true,
	"børnehjemmet": true, "barnehjem": true, "barnehjemmet": true, "anstalten": true, "polisregion": true,
	"politidistrikt": true, "region": true, "regionen": true, "fængsel": true, "statsfængsel": true,
	"arresthuset": true, "kriminalvårdsanstalten": true, "häktet": true, "förvaret": true,
	"vastaanottokeskus": true,
}

// streetWords end street names: "Sandvikaveien", "Nørrebrogade",
// "Vasagatan", "Mannerheimintie", or stand as their own word after the
// name: "Kongens gate", "Tingbjerg Allé", "Strand Road".
var streetWords = []string{"veien", "vegen", "vei", "veg", "gata", "gaten", "gate", "gatan", "gade", "vej", "vejen",
	"vägen", "väg", "allé", "alle", "plass", "plassen", "torg", "torget", "torv", "stræde", "strædet", "gränd",
	"tie", "katu", "kuja", "väylä", "polku", "road", "street", "lane", "avenue", "boulevard", "stien", "stig", "backe", "brinken"}

// streetEndings holds the last two bytes of every street word, a cheap
// first test before the suffix loop.
var streetEndings = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range streetWords {
		m[w[len(w)-2:]] = true
	}
	return m
}()

// addressTail follows a street name: the house number, an optional letter
// ("14 B", "12b"; a lone lower-case letter after a space is the next word,
// as in "gate 3 i sentrum") or flat, a Danish floor ("2. th."), and a
// postcode with its town.
var addressTail = regexp.MustCompile(`^ \d{1,4}(?: [A-Z]\b|[A-Za-z]\b)?(?: \d{1,3}\b)?(?:, ?\d{1,2}\. ?(?:th|tv|mf|sal)\.?)?(?:,? (?:\d{4}|\d{3} \d{2}|\d{5}) \p{Lu}[\p{L}-]+(?: \p{Lu}\b)?)?`)

// headerLine: an e-mail header naming a person before the address.
var headerLine = regexp.MustCompile(`(?m)^(?:> ?)?(?:Fra|Til|Kopi|From|To|Cc|Från|Till|Kopia|Lähettäjä|Vastaanottaja):[ \t]*`)

// listCues start a line of people: attendance and absence in minutes.
var listCues = splitCues(`til stede|tilstede|deltakere|deltagere|forfall|afbud|present|attendees|apologies|närvarande|frånvarande|deltagare|läsnä|paikalla`)

// greetingCues stand before a name: greetings, sign-offs and "my name is".
var greetingCues = splitCues(`hei|hej|hi|hello|dear|kære|kjære|bästa|hallo|moi|hei hei|hilsen|mvh|vh|regards|best|cheers|thanks|takk|tack|kiitos|terveisin|jeg heter|mitt navn er|mit navn er|jag heter|mitt namn är|my name is|olen|nimeni on`)

// roleCues are job titles and relations that stand right before a name in
// reports about colleagues: "min chef Erik Lund", "overlege Rask".
var roleCues = splitCues(`leder|lederen|leiar|sjef|sjefen|chef|chefen|chefer|kollega|kollegaen|kollegan|kollegen|kolleger|formann|formannen|formand|formanden|förman|skiftleder|avdelingsleder|afdelingsleder|seksjonsleder|teamleder|gruppchef|gruppledare|arbetsledare|enhetschef|direktør|direktøren|direktör|direktören|dir.|adv.|advokat|advokaten|advokatfullmektig|forsvarer|forsvareren|prosessfullmektig|overlege|overlæge|avdelingsoverlege|lege|læge|läkare|läkaren|sykepleier|sykepleieren|sygeplejerske|sygeplejersken|sjuksköterska|sjuksköterskan|undersköterska|avdelningsskötaren|kriminalvårdaren|kriminalvårdare|betjent|betjenten|vaktsjef|vaktsjefen|saksbehandler|saksbehandleren|sagsbehandler|handläggare|handläggaren|tillitsvalgt|tillitsvalgte|verneombud|verneombudet|skyddsombud|tillidsrepræsentant|hr-rådgiver|hr-partner|hr-konsulent|kassereren|kassören|kasserer|svoger|svogeren|svåger|svågern|kone|konen|kona|hustru|wife|husband|cousin|fætter|kusine|fetter|manager|supervisor|nurse|colleague|director|professor|prof.|esimies|esimieheni|työnjohtaja|johtaja|ylilääkäri|mistenkte|misstänkt|tilltalad|tilltalade|målsägande|saksøker|vastaaja|asianomistaja|svarande|appellant|employee|medarbejder|medarbejderen|medarbetare|medarbetaren|ansatt|ansatte|työntekijä|navn|namn|name|nimi|referanseperson|barnet|patient|patienten|pasient|pasienten|resident|beboer|postdoc|elev|student`)

// structural returns the findings of the shapes above; persons holds the
// PERSON findings CueWords already made, for later mentions.
func structural(n *normText, ws []word, persons []Finding) []Finding {
	s := n.s
	var out []Finding
	isCapWord := func(w word) bool {
		return w.cap && !stopCaps[w.lower] && !notNames[w.lower] && !allCapsShort(s[w.ns:w.ne])
	}
	gap := func(a, b int) string { return s[ws[a].ne:ws[b].ns] }
	// capRun collects up to 4 capitalised words from i on one line.
	capRun := func(i int) int {
		j := i
		for j < len(ws) && j-i < 4 && isCapWord(ws[j]) && (j == i || gap(j-1, j) == " " || gap(j-1, j) == "-") {
			j++
		}
		return j
	}
	cueAt := func(list cueIndex, i int) (int, bool) { // index after a cue starting at i
		for _, c := range list[ws[i].lower] {
			if i+len(c) > len(ws) {
				continue
			}
			ok := true
			for k, cw := range c {
				w := ws[i+k]
				if strings.HasSuffix(cw, ".") {
					ok = ok && w.lower == cw[:len(cw)-1] && w.ne < len(s) && s[w.ne] == '.'
				} else {
					ok = ok && w.lower == cw
				}
				if k > 0 {
					ok = ok && gap(i+k-1, i+k) == " "
				}
			}
			if ok {
				return i + len(c), true
			}
		}
		return 0, false
	}
	// nameAfter accepts the gap between a cue and a name: a colon, comma,
	// dash or spaces on the same line, or one line break (a signature);
	// a full stop only after an abbreviation ("adv. Moe"), since after a
	// word it ends the sentence ("… saksbehandler. Klagefrist: …").
	nameAfter := func(prev, next int) bool {
		g := s[ws[prev].ne:ws[next].ns]
		if strings.Count(g, "\n") > 1 {
			return false
		}
		if strings.HasPrefix(g, ".") && utf8.RuneCountInString(ws[prev].lower) > 4 {
			return false
		}
		return strings.Trim(g, " .,:;–-\n\r") == ""
	}

	for i := 0; i < len(ws); i++ {
		w := ws[i]
		// Company with a legal form: up to four capitalised words, joined
		// by spaces or "&", then the form.
		if form := legalFormAt(s, w); form > 0 && i > 0 {
			st := -1
			for k := i - 1; k >= 0 && i-k <= 4 && isCapWord(ws[k]); k-- {
				g := gap(k, k+1)
				if g != " " && g != " & " && g != "-" {
					break
				}
				st = k
			}
			if st >= 0 {
				out = append(out, n.finding(TypeOrganization, ws[st].ns, form, 0.75, "cue.legalform"))
			}
		}
		// Institution named after its kind.
		if institutionHeads[w.lower] && i+1 < len(ws) && gap(i, i+1) == " " {
			if e := capRun(i + 1); e > i+1 {
				out = append(out, n.finding(TypeOrganization, w.ns, ws[e-1].ne, 0.65, "cue.institution.head"))
			}
		}
		// Street address with a house number.
		if st, ok := streetStart(ws, i, s); ok {
			if m := addressTail.FindStringIndex(s[w.ne:]); m != nil && m[1] > 0 && !n.alnumAt(w.ne+m[1]) {
				out = append(out, n.finding(TypeLocation, ws[st].ns, w.ne+m[1], 0.75, "cue.address"))
			}
		}
		// Greetings, sign-offs, "my name is", job titles and relations.
		for _, c := range []struct {
			list cueIndex
			rule string
		}{{greetingCues, "cue.person.greeting"}, {roleCues, "cue.person.role"}} {
			j, ok := cueAt(c.list, i)
			if !ok || j >= len(ws) || !nameAfter(j-1, j) {
				continue
			}
			if e := capRun(j); e > j {
				out = append(out, n.finding(TypePerson, ws[j].ns, ws[e-1].ne, 0.6, c.rule))
			}
		}
		// Attendance lists: every run of two or more capitalised words on
		// the cue's line outside parentheses ("(leder)", "(Chair)").
		if j, ok := cueAt(listCues, i); ok && (i == 0 || strings.Contains(s[max(0, ws[i].ns-2):ws[i].ns], "\n") || ws[i].ns < 2) {
			depth := 0
			lineEnd := strings.IndexByte(s[ws[i].ns:], '\n')
			if lineEnd < 0 {
				lineEnd = len(s)
			} else {
				lineEnd += ws[i].ns
			}
			for k := j; k < len(ws) && ws[k].ns < lineEnd; {
				depth += strings.Count(gap(k-1, k), "(") - strings.Count(gap(k-1, k), ")")
				if e := capRun(k); depth == 0 && e > k+1 {
					out = append(out, n.finding(TypePerson, ws[k].ns, ws[e-1].ne, 0.6, "cue.person.list"))
					k = e
					continue
				}
				k++
			}
		}
	}
	// E-mail headers: "Fra: Line Berg <line.berg@…>", "To: Berg, Thomas".
	for _, m := range headerLine.FindAllStringIndex(s, -1) {
		rest := s[m[1]:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[:nl]
		}
		name := rest
		if k := strings.IndexAny(rest, "<["); k >= 0 {
			name = rest[:k]
		} else if strings.Contains(rest, "@") {
			continue
		}
		name = strings.TrimRight(name, " \"'")
		name = strings.TrimLeft(name, "\"'")
		if isPersonName(name) {
			st := m[1] + strings.Index(s[m[1]:], name)
			out = append(out, n.finding(TypePerson, st, st+len(name), 0.7, "cue.person.header"))
		}
	}
	// Later mentions of a person already found: the surname or given
	// name alone, written with a capital.
	names := map[string]bool{}
	for _, f := range append(persons, out...) {
		if f.Type != TypePerson || !strings.HasPrefix(f.Rule, "cue.person") {
			continue
		}
		for _, t := range strings.FieldsFunc(f.Text, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
			if utf8.RuneCountInString(t) >= 3 && !stopCaps[strings.ToLower(t)] {
				names[strings.ToLower(t)] = true
			}
		}
	}
	if len(names) > 0 {
		for _, w := range ws {
			if w.cap && names[w.lower] && !allCapsShort(s[w.ns:w.ne]) {
				out = append(out, n.finding(TypePerson, w.ns, w.ne, 0.55, "cue.person.repeat"))
			}
		}
	}
	return out
}

// notNames are capitalised words that follow a greeting or title but do
// not start a name: possessives and pronouns at the start of a sentence.
var notNames = map[string]bool{
	"mit": true, "mitt": true, "min": true, "mine": true, "mina": true, "my": true, "our": true, "vores": true,
	"vår": true, "vårt": true, "hans": true, "hennes": true, "hendes": true, "his": true, "her": true,
	"hei": true, "hej": true, "hi": true, "dear": true, "alle": true, "all": true, "everyone": true,
	"kaikki": true, "teille": true, "you": true, "du": true, "dig": true, "deg": true,
}

// legalFormAt returns the end of a legal-form suffix starting at w, or 0.
func legalFormAt(s string, w word) int {
	for _, f := range []string{"A/S", "I/S", "K/S", "P/S"} {
		if strings.HasPrefix(s[w.ns:], f) {
			e := w.ns + len(f)
			if e == len(s) || !isWordByte(s[e]) {
				return e
			}
		}
	}
	e := w.ne
	if e < len(s) && s[e] == '.' && legalForms[s[w.ns:e+1]] {
		return e + 1
	}
	if legalForms[s[w.ns:e]] {
		return e
	}
	return 0
}

// streetStart reports whether word i ends a street name and where the
// name starts: a capitalised compound ("Sandvikaveien", with "Nedre" or
// "Stora" before it), or a street word after a capitalised word
// ("Kongens gate", "Hervannan valtaväylä").
func streetStart(ws []word, i int, s string) (int, bool) {
	w := ws[i]
	if len(w.lower) < 3 || !streetEndings[w.lower[len(w.lower)-2:]] {
		return 0, false
	}
	for _, suf := range streetWords {
		if !strings.HasSuffix(w.lower, suf) {
			continue
		}
		compound := len(w.lower) >= len(suf)+3
		prevCap := i > 0 && ws[i-1].cap && !stopCaps[ws[i-1].lower] && s[ws[i-1].ne:w.ns] == " "
		switch {
		case compound && w.cap && prevCap:
			return i - 1, true
		case compound && w.cap:
			return i, true
		case prevCap:
			return i - 1, true
		}
		return 0, false
	}
	return 0, false
}

// isPersonName: one to four capitalised words, or "Surname, Given".
func isPersonName(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 60 {
		return false
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	if len(parts) == 0 || len(parts) > 4 || strings.Count(s, ",") > 1 {
		return false
	}
	for _, p := range parts {
		r, _ := utf8.DecodeRuneInString(p)
		if !unicode.IsUpper(r) || stopCaps[strings.ToLower(p)] {
			return false
		}
		for _, c := range p {
			if !(unicode.IsLetter(c) || c == '-' || c == '\'' || c == '.') {
				return false
			}
		}
	}
	return true
}

// allCapsShort: "HR", "QA", "TR" and the like are abbreviations, not the
// surname they happen to spell.
func allCapsShort(t string) bool {
	return utf8.RuneCountInString(t) <= 3 && strings.ToUpper(t) == t
}
