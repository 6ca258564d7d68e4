package detect

import (
	"regexp"
	"strings"
	"time"
)

// DateOfBirth detects dates written as DD.MM.YYYY, DD/MM/YYYY, DD-MM-YYYY,
// YYYY-MM-DD, "3. mars 1984", "3 March 1984" or "March 3, 1984" when a
// birth cue word (født, f., born, DOB, fødd, född, syntymäaika, ...) comes
// shortly before. In an Engine it also reports any date equal to the birth
// date encoded in an identity number found in the same text.
type DateOfBirth struct{}

func (*DateOfBirth) Name() string                   { return "dob" }
func (d *DateOfBirth) Detect(text string) []Finding { return d.detect(normalize(text)) }

var dobCues = []string{"født", "født den", "f.", "fødd", "fødd den", "född", "född den", "f.d.", "born", "born on", "dob", "d.o.b.", "date of birth", "birth date", "birthdate", "fødselsdato", "fødselsdag", "fødselsdatoen", "födelsedatum", "födelsedag", "syntymäaika", "syntynyt", "s.", "geboren", "geb."}

var monthNames = map[string]int{}

func init() {
	lists := [][]string{
		{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"},
		{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
		{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
		{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"},
		{"tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"},
		{"jan", "feb", "mar", "apr", "", "jun", "jul", "aug", "sep", "okt", "nov", "des"},
		{"", "", "", "", "", "", "", "", "sept", "oct", "", "dec"},
	}
	for _, l := range lists {
		for i, m := range l {
			if m != "" {
				monthNames[m] = i + 1
			}
		}
	}
}

// dateTextRe and dateUSRe take the English ordinals: "3rd March 1948",
// "3rd of March 1948", "March 3rd, 1948".
var (
	dateNumRe  = regexp.MustCompile(`^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\b`)
	dateISORe  = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})\b`)
	dateTextRe = regexp.MustCompile(`^(?i)(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(\p{L}{3,11})\.?,?\s+(\d{4})\b`)
	dateUSRe   = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
)

type dateMatch struct {
	ns, ne int
	d      birthDate
}

// findDates returns every valid date in the normalised text. The patterns
// are tried only where a number starts, which keeps this fast.
func findDates(n *normText) []dateMatch {
	if n.datesOK {
		return n.dates
	}
	n.datesOK = true
	var out []dateMatch
	add := func(ns, ne, day, mon, year int, yy bool) {
		if yy {
			if validDate(day, mon, 2000+year) || validDate(day, mon, 1900+year) {
				out = append(out, dateMatch{ns, ne, birthDate{day, mon, year, true}})
			}
			return
		}
		if year >= 1850 && year <= time.Now().Year()+1 && validDate(day, mon, year) {
			out = append(out, dateMatch{ns, ne, birthDate{day, mon, year, false}})
		}
	}
	s := n.s
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i > 0 && isDigit(s[i-1]) || n.alnumBefore(i) {
			continue
		}
		w := s[i:min(len(s), i+40)]
		if m := dateNumRe.FindStringSubmatchIndex(w); m != nil && !n.alnumAt(i+m[1]) && !(i+m[1] < len(s) && (s[i+m[1]] == '-' || s[i+m[1]] == '/')) {
			y := w[m[6]:m[7]]
			add(i, i+m[1], atoi(w[m[2]:m[3]]), atoi(w[m[4]:m[5]]), atoi(y), len(y) == 2)
			continue
		}
		if m := dateISORe.FindStringSubmatchIndex(w); m != nil {
			add(i, i+m[1], atoi(w[m[6]:m[7]]), atoi(w[m[4]:m[5]]), atoi(w[m[2]:m[3]]), false)
			continue
		}
		if m := dateTextRe.FindStringSubmatchIndex(w); m != nil {
			if mon, ok := monthNames[strings.ToLower(w[m[4]:m[5]])]; ok {
				add(i, i+m[1], atoi(w[m[2]:m[3]]), mon, atoi(w[m[6]:m[7]]), false)
				continue
			}
		}
		if m := dateUSRe.FindStringSubmatchIndex(w); m != nil {
			// "March 3, 1984": the month name is the word before.
			j := i
			for j > 0 && (s[j-1] == ' ' || s[j-1] == '.') && i-j < 3 {
				j--
			}
			k := j
			for k > 0 && isASCIIAl(s[k-1]) {
				k--
			}
			if k < j && j < i {
				if mon, ok := monthNames[strings.ToLower(s[k:j])]; ok && !n.alnumBefore(k) {
					add(k, i+m[1], atoi(w[m[2]:m[3]]), mon, atoi(w[m[4]:m[5]]), false)
				}
			}
		}
	}
	n.dates = out
	return out
}

func (*DateOfBirth) detect(n *normText) []Finding {
	var out []Finding
	for _, d := range findDates(n) {
		if n.cueBefore(d.ns, 25, dobCues) {
			out = append(out, n.finding(TypeDateOfBirth, d.ns, d.ne, 0.85, "dob.cue"))
		}
	}
	return out
}

// idBirthDate decodes the birth date of an identity-number finding.
func idBirthDate(f Finding) (birthDate, bool) {
	d := digitsOf(f.Text)
	switch f.Type {
	case TypeDKCPR:
		if len(d) == 10 {
			return cprDate(d)
		}
	case TypeNOFnr:
		if len(d) == 11 {
			b, _, ok := fnrDate(d, FnrCheck(d))
			return b, ok
		}
	case TypeSEPnr:
		if len(d) == 10 || len(d) == 12 {
			b, _, ok := pnrDate(d, strings.Contains(f.Text, "+"), time.Now())
			return b, ok
		}
	case TypeFIHetu:
		t := normalize(f.Text).s
		if len(t) == 11 {
			return hetuDate(t)
		}
	}
	return birthDate{}, false
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 0xFF10 && r <= 0xFF19:
			b.WriteRune('0' + r - 0xFF10)
		}
	}
	return b.String()
}

func sameDate(a, b birthDate) bool {
	if a.day != b.day || a.month != b.month {
		return false
	}
	if a.yyOnly || b.yyOnly {
		return a.year%100 == b.year%100
	}
	return a.year == b.year
}

// idDateFindings reports dates equal to a birth date encoded in one of the
// identity numbers in fs.
func idDateFindings(n *normText, fs []Finding) []Finding {
	var ids []birthDate
	for _, f := range fs {
		if b, ok := idBirthDate(f); ok {
			ids = append(ids, b)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var out []Finding
	for _, d := range findDates(n) {
		for _, b := range ids {
			if sameDate(d.d, b) {
				out = append(out, n.finding(TypeDateOfBirth, d.ns, d.ne, 0.8, "dob.id-match"))
				break
			}
		}
	}
	return out
}
