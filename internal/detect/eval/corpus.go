// Package eval builds a labelled synthetic corpus of Nordic case texts
// (Norwegian, Danish, Swedish, Finnish-context and English) with planted
// personal data and their exact byte spans, and scores a detect.Engine on
// it the way presidio-research does: precision, recall and F2 per entity
// type. The corpus is generated from a seed, so runs are reproducible.
package eval

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/detect"
)

// Span is a labelled entity (or, in Doc.Negatives, a labelled value that
// must not be found; Type then names its kind, e.g. "invoice"). Text and
// Tags are set for the held-out corpus: the span's text, checked against
// the document, and its difficulty tags (lower, caps, common-word, …).
type Span struct {
	Type       string
	Start, End int
	Text       string
	Tags       []string
}

// Doc is one synthetic case text with its gold spans and the case's own
// persons (as a handler would have them in the case record).
type Doc struct {
	ID        string // held-out corpus only
	Lang      string
	Style     string // held-out corpus only: report, e-mail, decision, …
	Text      string
	Gold      []Span
	Negatives []Span // held-out corpus only
	Persons   []detect.Person
}

type gen struct {
	r    *rand.Rand
	b    strings.Builder
	gold []Span
}

func (g *gen) lit(s string) { g.b.WriteString(s) }

func (g *gen) ent(typ, s string) {
	st := g.b.Len()
	g.b.WriteString(s)
	g.gold = append(g.gold, Span{Type: typ, Start: st, End: g.b.Len()})
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

var (
	firstNO  = []string{"Kari", "Ola", "Ingrid", "Jørgen", "Åse", "Bjørn", "Sigrid", "Håkon", "Mari", "Øystein", "Nora", "Ahmed", "Fatima", "Yonas", "Mohammad"}
	lastNO   = []string{"Nordmann", "Hansen", "Sørensen", "Johansen", "Haugen", "Bråthen", "Løvås", "Ødegård", "Berg", "Aasen", "Hussein", "Tesfaye", "Rahimi"}
	firstDK  = []string{"Mette", "Søren", "Anders", "Birgitte", "Jens", "Freja", "Rasmus", "Signe"}
	lastDK   = []string{"Jensen", "Nielsen", "Christensen", "Mørch", "Kjær", "Holm", "Poulsen"}
	firstSE  = []string{"Anna", "Björn", "Maja", "Lars", "Åsa", "Johan", "Elin", "Göran"}
	lastSE   = []string{"Svensson", "Lindström", "Andersson", "Öberg", "Bergqvist", "Nyström"}
	firstFI  = []string{"Aino", "Mikko", "Jukka", "Liisa", "Eero"}
	lastFI   = []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen"}
	citiesNO = []string{"Tromsø", "Bergen", "Ålesund", "Drammen", "Bodø", "Kristiansand", "Hamar", "Molde"}
	citiesDK = []string{"Aarhus", "Odense", "Aalborg", "Esbjerg", "Køge", "Holstebro"}
	citiesSE = []string{"Malmö", "Göteborg", "Uppsala", "Västerås", "Örebro", "Luleå"}
	citiesFI = []string{"Tampere", "Oulu", "Turku", "Espoo"}
)

type person struct{ first, last string }

func (p person) full() string { return p.first + " " + p.last }

func asciiFold(s string) string {
	r := strings.NewReplacer("ø", "o", "å", "a", "æ", "ae", "ö", "o", "ä", "a", "Ø", "o", "Å", "a", "Æ", "ae", "Ö", "o", "Ä", "a")
	return strings.ToLower(r.Replace(s))
}

// ---- identity number generators (valid check digits) ----

func w(d string, ws ...int) int {
	s := 0
	for i, x := range ws {
		s += int(d[i]-'0') * x
	}
	return s
}

func (g *gen) date(minY, maxY int) (d, m, y int) {
	y = minY + g.r.IntN(maxY-minY+1)
	m = 1 + g.r.IntN(12)
	d = 1 + g.r.IntN(28)
	return
}

func (g *gen) fnr(d, m, y int) string {
	for {
		ind := g.r.IntN(500) // 1900s
		if y >= 2000 {
			ind = 500 + g.r.IntN(500)
		}
		nine := fmt.Sprintf("%02d%02d%02d%03d", d, m, y%100, ind)
		k1 := (11 - w(nine, 3, 7, 6, 1, 8, 9, 4, 5, 2)%11) % 11
		if k1 == 10 {
			continue
		}
		ten := nine + strconv.Itoa(k1)
		k2 := (11 - w(ten, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)%11) % 11
		if k2 == 10 {
			continue
		}
		return ten + strconv.Itoa(k2)
	}
}

func (g *gen) cpr(d, m, y int) string {
	for {
		first := g.r.IntN(4) // 1900s
		if y >= 2000 {
			first = 4
		}
		s := fmt.Sprintf("%02d%02d%02d%d%03d", d, m, y%100, first, g.r.IntN(1000))
		if w(s, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)%11 == 0 || g.r.IntN(4) == 0 {
			return s // a quarter of them are post-2007 style, failing mod 11
		}
	}
}

func luhnDigit(nine string) string {
	s := 0
	for i := range 9 {
		v := int(nine[i]-'0') * (2 - i%2)
		s += v/10 + v%10
	}
	return strconv.Itoa((10 - s%10) % 10)
}

func (g *gen) pnr(d, m, y int) string {
	nine := fmt.Sprintf("%02d%02d%02d%03d", y%100, m, d, g.r.IntN(1000))
	return nine + luhnDigit(nine)
}

func (g *gen) hetu(d, m, y int) string {
	signs := "-YXWVU"
	if y >= 2000 {
		signs = "ABCDEF"
	}
	nnn := 2 + g.r.IntN(898)
	n, _ := strconv.Atoi(fmt.Sprintf("%02d%02d%02d%03d", d, m, y%100, nnn))
	return fmt.Sprintf("%02d%02d%02d%c%03d%c", d, m, y%100, signs[g.r.IntN(len(signs))], nnn, "0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31])
}

func (g *gen) iban() string {
	cc := g.pick([]string{"NO", "DK", "SE", "FI"})
	l := detect.IBANLengths[cc]
	var bban strings.Builder
	for bban.Len() < l-4 {
		bban.WriteByte(byte('0' + g.r.IntN(10)))
	}
	// check digits: 98 - (BBAN + CC + "00") mod 97
	rearr := bban.String() + cc + "00"
	m := 0
	for i := 0; i < len(rearr); i++ {
		c := rearr[i]
		if c >= 'A' {
			m = (m*100 + int(c-'A') + 10) % 97
		} else {
			m = (m*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", cc, 98-m, bban.String())
}

// sep formats a digit string with a random tolerant separator at cut.
func (g *gen) sep(s string, cut int) string {
	switch g.r.IntN(8) {
	case 0, 1, 2:
		return s
	case 3:
		return s[:cut] + " " + s[cut:]
	case 4:
		return s[:cut] + "\u00a0" + s[cut:]
	case 5:
		return s[:cut] + "\n" + s[cut:]
	case 6:
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r - '0' + 0xFF10)
		}
		return b.String()
	}
	return s[:cut] + "\u200b" + s[cut:]
}

func group4(s string) string {
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, " ")
}

var monthsNO = []string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"}
var monthsEN = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func (g *gen) dateText(d, m, y int, lang string) string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%02d.%02d.%d", d, m, y)
	case 1:
		return fmt.Sprintf("%d-%02d-%02d", y, m, d)
	case 2:
		if lang == "en" {
			return fmt.Sprintf("%d %s %d", d, monthsEN[m-1], y)
		}
		return fmt.Sprintf("%d. %s %d", d, monthsNO[m-1], y)
	}
	return fmt.Sprintf("%02d/%02d/%d", d, m, y)
}

// Generate returns n documents built from seed.
func Generate(seed uint64, n int) []Doc {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var docs []Doc
	for i := range n {
		g := &gen{r: r}
		lang := []string{"no", "da", "sv", "fi", "en"}[i%5]
		docs = append(docs, g.doc(lang))
	}
	return docs
}

func (g *gen) names(lang string) person {
	switch lang {
	case "da":
		return person{g.pick(firstDK), g.pick(lastDK)}
	case "sv":
		return person{g.pick(firstSE), g.pick(lastSE)}
	case "fi":
		return person{g.pick(firstFI), g.pick(lastFI)}
	}
	return person{g.pick(firstNO), g.pick(lastNO)}
}

func (g *gen) doc(lang string) Doc {
	p := g.names(lang)
	rel := g.names(lang)
	witness := g.names(lang)
	d, m, y := g.date(1940, 2015)
	od, om, oy := g.date(2019, 2024) // an unrelated date
	email := asciiFold(p.first) + "." + asciiFold(p.last) + "@" + g.pick([]string{"example.no", "post.dk", "mail.se", "example.com"})
	caseNo := fmt.Sprintf("%d/%05d", oy, g.r.IntN(100000))
	amount := fmt.Sprintf("%d %03d", 1+g.r.IntN(99), g.r.IntN(1000))
	switch lang {
	case "no":
		city := g.pick(citiesNO)
		fnr := g.fnr(d, m, y)
		g.lit("Sak " + caseNo + ". Klager ")
		g.ent(detect.TypePerson, p.full())
		g.lit(", fødselsnummer ")
		g.ent(detect.TypeNOFnr, g.sep(fnr, 6))
		g.lit(", er bosatt i ")
		g.ent(detect.TypeLocation, city)
		g.lit(". Klageren ble født ")
		g.ent(detect.TypeDateOfBirth, g.dateText(d, m, y, lang))
		g.lit(" og kan nås på tlf. ")
		g.ent(detect.TypePhone, fmt.Sprintf("%d%d %02d %02d %02d", 4+g.r.IntN(6), g.r.IntN(10), g.r.IntN(100), g.r.IntN(100), g.r.IntN(100)))
		g.lit(" eller e-post ")
		g.ent(detect.TypeEmail, email)
		g.lit(". ")
		g.ent(detect.TypePerson, p.last+"s")
		g.lit(" bror ")
		g.ent(detect.TypePerson, rel.full())
		g.lit(" bodde på ")
		g.ent(detect.TypeOrganization, g.pick([]string{"Hvalstad", "Dale", "Lier", "Råde"})+" mottak")
		g.lit(" og ble senere innlagt på ")
		g.ent(detect.TypeOrganization, city+" sykehus")
		g.lit(". DUF-nummer ")
		ten := fmt.Sprintf("%d%06d", 2000+g.r.IntN(24), g.r.IntN(1000000))
		g.ent(detect.TypeNODuf, ten+detect.DUFCheck(ten))
		g.lit(". Saken er anmeldt til ")
		g.ent(detect.TypeOrganization, g.pick([]string{"Oslo", "Vest", "Trøndelag", "Finnmark"})+" politidistrikt")
		g.lit(fmt.Sprintf(". Møtet ble holdt %02d.%02d.%d. Erstatning kr %s. Org.nr. 923 609 016.\n", od, om, oy, amount))
		g.lit("Vitnet ")
		g.ent(detect.TypePerson, witness.full())
		g.lit(" forklarte seg. Utbetaling til konto ")
		g.ent(detect.TypeIBAN, group4(g.iban()))
		g.lit(".\n")
	case "da":
		city := g.pick(citiesDK)
		g.lit("Journalnr. " + caseNo + ". Ansøgeren ")
		g.ent(detect.TypePerson, p.full())
		g.lit(", CPR-nr. ")
		c := g.cpr(d, m, y)
		g.ent(detect.TypeDKCPR, c[:6]+"-"+c[6:])
		g.lit(", har bopæl i ")
		g.ent(detect.TypeLocation, city)
		g.lit(". Hun er født ")
		g.ent(detect.TypeDateOfBirth, g.dateText(d, m, y, lang))
		g.lit(". Telefon ")
		g.ent(detect.TypePhone, fmt.Sprintf("+45 %d%d %02d %02d %02d", 2+g.r.IntN(8), g.r.IntN(10), g.r.IntN(100), g.r.IntN(100), g.r.IntN(100)))
		g.lit(", mail ")
		g.ent(detect.TypeEmail, email)
		g.lit(". Hendes ægtefælle ")
		g.ent(detect.TypePerson, rel.full())
		g.lit(" var indlagt på ")
		g.ent(detect.TypeOrganization, city+" Sygehus")
		g.lit(fmt.Sprintf(" fra %02d.%02d.%d. Sagen blev behandlet af ", od, om, oy))
		g.ent(detect.TypeOrganization, g.pick([]string{"Københavns", "Aarhus", "Odense"})+" Byret")
		g.lit(". Beløb: " + amount + " kr. Kontonr. ")
		g.ent(detect.TypeIBAN, g.iban())
		g.lit(".\n")
	case "sv":
		city := g.pick(citiesSE)
		pn := g.pnr(d, m, y)
		g.lit("Diarienr " + caseNo + ". Klaganden ")
		g.ent(detect.TypePerson, p.full())
		g.lit(" (personnummer ")
		g.ent(detect.TypeSEPnr, pn[:6]+"-"+pn[6:])
		g.lit(") är folkbokförd i ")
		g.ent(detect.TypeLocation, city)
		g.lit(". Telefon ")
		g.ent(detect.TypePhone, fmt.Sprintf("07%d-%03d %02d %02d", g.r.IntN(10), g.r.IntN(1000), g.r.IntN(100), g.r.IntN(100)))
		g.lit(". Hennes make ")
		g.ent(detect.TypePerson, rel.full())
		g.lit(" vårdades på ")
		g.ent(detect.TypeOrganization, city+" sjukhus")
		g.lit(" och dömdes av ")
		g.ent(detect.TypeOrganization, city+" tingsrätt")
		g.lit(fmt.Sprintf(" den %d-%02d-%02d. Ersättning %s kr.\n", oy, om, od, amount))
	case "fi":
		city := g.pick(citiesFI)
		g.lit("Asia " + caseNo + ". Ilmoittaja ")
		g.ent(detect.TypePerson, p.full())
		g.lit(", henkilötunnus ")
		g.ent(detect.TypeFIHetu, g.hetu(d, m, y))
		g.lit(", syntymäaika ")
		g.ent(detect.TypeDateOfBirth, fmt.Sprintf("%d.%d.%d", d, m, y))
		g.lit(", puh. ")
		g.ent(detect.TypePhone, fmt.Sprintf("+358 4%d %07d", g.r.IntN(10), g.r.IntN(10000000)))
		g.lit(", asuu ")
		g.ent(detect.TypeLocation, city)
		g.lit(fmt.Sprintf(". Kokous %d.%d.%d. IBAN ", od, om, oy))
		g.ent(detect.TypeIBAN, group4(g.iban()))
		g.lit(".\n")
	case "en":
		city := g.pick(append(append([]string{}, citiesNO...), citiesSE...))
		g.lit("Case " + caseNo + ". The complainant ")
		g.ent(detect.TypePerson, p.full())
		g.lit(" (DOB ")
		g.ent(detect.TypeDateOfBirth, g.dateText(d, m, y, "en"))
		g.lit(") lives in ")
		g.ent(detect.TypeLocation, city)
		g.lit(". Phone ")
		g.ent(detect.TypePhone, fmt.Sprintf("+47 %d%07d", 4+g.r.IntN(6), g.r.IntN(10000000)))
		g.lit(", e-mail ")
		g.ent(detect.TypeEmail, email)
		g.lit(". ")
		g.ent(detect.TypePerson, string([]rune(p.first)[:1])+". "+p.last)
		g.lit(" was treated at ")
		g.ent(detect.TypeOrganization, city+" University Hospital")
		g.lit(fmt.Sprintf(" on %s %d, %d. The witness ", monthsEN[om-1], od, oy))
		g.ent(detect.TypePerson, witness.full())
		g.lit(" was not heard. Amount NOK " + amount + ".\n")
	}
	return Doc{Lang: lang, Text: g.b.String(), Gold: g.gold, Persons: []detect.Person{{Name: p.full()}, {Name: rel.full()}}}
}
