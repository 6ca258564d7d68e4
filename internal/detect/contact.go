package detect

import (
	"regexp"
	"strings"
)

// ---------- IBAN ----------

// IBAN detects international bank account numbers (ISO 13616): a known
// country code, the country's length and the mod-97 check, printed compact
// or in groups separated by single spaces or dashes.
type IBAN struct{}

func (IBAN) Name() string                   { return "iban" }
func (d IBAN) Detect(text string) []Finding { return d.detect(normalize(text)) }

// IBANLengths holds the total IBAN length per country code.
var IBANLengths = map[string]int{
	"NO": 15, "DK": 18, "FO": 18, "GL": 18, "SE": 24, "FI": 18, "IS": 26,
	"DE": 22, "FR": 27, "GB": 22, "IE": 22, "NL": 18, "BE": 16, "LU": 20,
	"ES": 24, "PT": 25, "IT": 27, "AT": 20, "CH": 21, "LI": 21, "PL": 28,
	"CZ": 24, "SK": 24, "HU": 28, "SI": 19, "HR": 21, "RO": 24, "BG": 22,
	"GR": 27, "CY": 28, "MT": 31, "EE": 20, "LV": 21, "LT": 20, "MC": 27,
	"SM": 27, "AD": 24, "GI": 23, "TR": 26, "UA": 29, "RS": 22, "BA": 20,
	"ME": 22, "MK": 19, "AL": 28,
}

// IBANValid reports whether compact (upper case, no spaces) is a valid
// IBAN: known country, right length, mod 97 == 1.
func IBANValid(compact string) bool {
	if len(compact) < 5 {
		return false
	}
	l, ok := IBANLengths[compact[:2]]
	if !ok || l != len(compact) {
		return false
	}
	r := compact[4:] + compact[:4]
	m := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= '0' && c <= '9':
			m = (m*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			m = (m*100 + v) % 97
		default:
			return false
		}
	}
	return m == 1
}

var ibanStart = regexp.MustCompile(`[A-Z]{2}[0-9]{2}`)

func isUpperAlnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func (IBAN) detect(n *normText) []Finding {
	var out []Finding
	s := n.s
	for _, m := range ibanStart.FindAllStringIndex(s, -1) {
		st := m[0]
		l, ok := IBANLengths[s[st:st+2]]
		if !ok || n.alnumBefore(st) {
			continue
		}
		var b strings.Builder
		i := st
		for i < len(s) && b.Len() < l {
			c := s[i]
			if isUpperAlnum(c) {
				b.WriteByte(c)
				i++
				continue
			}
			if (c == ' ' || c == '-') && i+1 < len(s) && isUpperAlnum(s[i+1]) && b.Len() >= 4 {
				i++
				continue
			}
			// A group carried over to the next line: one line break,
			// with at most a space on either side.
			if k := ibanLineBreak(s, i); k > i && b.Len() >= 4 {
				i = k
				continue
			}
			break
		}
		if b.Len() != l || n.alnumAt(i) {
			continue
		}
		if IBANValid(b.String()) {
			out = append(out, n.finding(TypeIBAN, st, i, 0.98, "iban.mod97"))
		}
	}
	return out
}

// ibanLineBreak returns the index after a gap of one line break with at
// most one space or '\r' around it, followed by an upper-case letter or
// digit; i when there is none.
func ibanLineBreak(s string, i int) int {
	j := i
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j < len(s) && s[j] == '\r' {
		j++
	}
	if j >= len(s) || s[j] != '\n' {
		return i
	}
	j++
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j < len(s) && isUpperAlnum(s[j]) {
		return j
	}
	return i
}

// ---------- e-mail ----------

// Email detects e-mail addresses.
type Email struct{}

func (Email) Name() string                   { return "email" }
func (d Email) Detect(text string) []Finding { return d.detect(normalize(text)) }

var emailRe = regexp.MustCompile(`[\p{L}\p{N}_%+\-]+(?:\.[\p{L}\p{N}_%+\-]+)*@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.\p{L}{2,}`)

// emailObfuscatedRe finds addresses written to fool harvesters, as people
// do when they give a private address in a report: "ola (at) firma.no",
// "jeppe[at]firma[dot]dk", "anon (snabel-a) proton.me", "x at y dot com".
// The bracketed "at" is enough; a bare " at " needs a " dot " as well, so
// that English prose ("work at home.") does not match.
var emailObfuscatedRe = regexp.MustCompile(`(?i)([\p{L}\p{N}_%+\-]+(?:\.[\p{L}\p{N}_%+\-]+)*)(?:\s*[(\[{<]\s*(?:at|ät|snabel-?a|alfakrøll|krøllalfa|miukumauku|@)\s*[)\]}>]\s*([\p{L}\p{N}\-]+(?:(?:\.|\s*[(\[{<]\s*(?:dot|punkt|piste|prikk)\s*[)\]}>]\s*)[\p{L}\p{N}\-]+)*(?:\.|\s*[(\[{<]\s*(?:dot|punkt|piste|prikk)\s*[)\]}>]\s*)\p{L}{2,})|\s+at\s+([\p{L}\p{N}\-]+(?:\s+dot\s+[\p{L}\p{N}\-]+)*\s+dot\s+\p{L}{2,}))\b`)

func (Email) detect(n *normText) []Finding {
	var out []Finding
	for _, m := range emailRe.FindAllStringIndex(n.s, -1) {
		out = append(out, n.finding(TypeEmail, m[0], m[1], 0.95, "email.syntax"))
	}
	// The obfuscation pattern is costly; run it only on lines that
	// carry one of its markers. Lines are lowered one by one: lowering the
	// whole text can change its byte length ("İ" grows), so offsets into
	// it would not fit the text.
	for off := 0; off < len(n.s); {
		end := strings.IndexByte(n.s[off:], '\n')
		if end < 0 {
			end = len(n.s)
		} else {
			end += off
		}
		if obfuscationMarker(strings.ToLower(n.s[off:end])) {
			for _, m := range emailObfuscatedRe.FindAllStringIndex(n.s[off:end], -1) {
				a, b := off+m[0], off+m[1]
				if strings.Contains(n.s[a:b], "@") && !strings.ContainsAny(n.s[a:b], "([{< ") {
					continue // a plain address, found above
				}
				out = append(out, n.finding(TypeEmail, a, b, 0.85, "email.obfuscated"))
			}
		}
		off = end + 1
	}
	return out
}

func obfuscationMarker(l string) bool {
	for _, m := range []string{"at)", "at ]", "at]", "at}", "at }", "at>", "at )", "ät)", "ät]", "snabel", "krøll", "miukumauku", "@)", "@]"} {
		if strings.Contains(l, m) {
			return true
		}
	}
	return strings.Contains(l, " at ") && strings.Contains(l, " dot ")
}

// ---------- phone numbers ----------

// Phone detects Nordic phone numbers: +45 and +47 with 8 digits, +46 with
// 7-9 digits, +358 with 5-10 digits, +354 with 7 and +298/+299 with 6
// (also written 00CC); without a country code only next to cue words
// (tlf, telefon, mobil, phone, puh, ...), or in the typical 8-digit
// grouping "22 33 44 55" at a lower score.
type Phone struct{}

func (Phone) Name() string                   { return "phone" }
func (d Phone) Detect(text string) []Finding { return d.detect(normalize(text)) }

var phoneCues = []string{"tlf", "tlf.", "tlf:", "telefon", "telefonnr", "telefonnummer", "mobil", "mobilnr", "mobilnummer", "mob", "mob.", "tel", "tel.", "telephone", "phone", "mobile", "cell", "puh", "puh.", "puhelin", "matkapuhelin", "gsm", "ring", "ringt", "ringe", "sms", "telnr", "mobiltelefon", "call", "soita", "soittakaa", "soittaa", "ringa", "ringer", "ringes", "numeroni", "numeronsa", "numero"}

// notPhoneCues name the other 8-digit numbers of case texts (company
// registration, invoice, order, account and case numbers); right before a
// number without a phone cue they keep it from being taken for a phone
// number by its grouping alone ("CVR 31 45 67 89").
var notPhoneCues = []string{"cvr", "cvr-nr", "cvr-nr.", "cvr.", "org.nr", "org.nr.", "orgnr", "org. nr.", "organisasjonsnummer", "organisationsnummer", "y-tunnus", "se-nr", "faktura", "fakturanr", "fakturanr.", "fakturanummer", "invoice", "ordre", "ordrenr", "ordrenr.", "order", "ordernr", "tilaus", "konto", "kontonr", "kontonr.", "kontonummer", "account", "saksnr", "saksnr.", "sagsnr", "sagsnr.", "journalnr", "journalnr.", "dnr", "diarienr", "ref", "ref.", "bilag", "bilagsnr", "kid", "kundenr", "kundenummer", "ansattnr", "medarbejdernr", "lasku", "laskut"}

// phoneTrunkRe is an international number written with the national
// trunk zero in brackets: "+46 (0)70 441 23 88".
var phoneTrunkRe = regexp.MustCompile(`\+(\d{2,3}) ?\(0\) ?(\d[\d -]{3,16}\d)`)

var phoneCC = []struct {
	cc       string
	min, max int
}{{"45", 8, 8}, {"47", 8, 8}, {"46", 7, 9}, {"358", 5, 10}, {"354", 7, 7}, {"298", 6, 6}, {"299", 6, 6}}

func (Phone) detect(n *normText) []Finding {
	var out []Finding
	s := n.s
	for _, run := range n.numRuns() {
		g := run.groups
		st := g[0].ns
		plus := st > 0 && s[st-1] == '+'
		digits := ""
		var cum []int // digits after each group
		for _, x := range g {
			digits += s[x.ns:x.ne]
			cum = append(cum, len(digits))
		}
		intl := plus
		body := digits
		if !plus && strings.HasPrefix(digits, "00") {
			intl = true
			body = digits[2:]
		}
		if intl {
			for _, p := range phoneCC {
				if !strings.HasPrefix(body, p.cc) {
					continue
				}
				pre := len(digits) - len(body) + len(p.cc)
				best := -1
				for i, c := range cum {
					if k := c - pre; k >= p.min && k <= p.max && !n.alnumAt(g[i].ne) {
						best = i
					}
				}
				// "+46 (0)70..." style trunk zero is not handled; a national
				// number starting 0 after the code is still accepted by length.
				if best >= 0 {
					ns := st
					if plus {
						ns = st - 1
					}
					out = append(out, n.finding(TypePhone, ns, g[best].ne, 0.9, "phone.intl+"+p.cc))
				}
				break
			}
			continue
		}
		cue := n.cueBefore(st, 25, phoneCues)
		// national numbers: 8 digits (NO, DK) or 0 + 6-9 digits (SE, FI);
		// the longest acceptable prefix of the run wins.
		var best *Finding
		for i, c := range cum {
			if n.alnumAt(g[i].ne) {
				continue
			}
			shape := make([]int, i+1)
			for j := 0; j <= i; j++ {
				shape[j] = g[j].ne - g[j].ns
			}
			var f Finding
			switch {
			case cue && c == 8 && digits[0] != '0':
				f = n.finding(TypePhone, st, g[i].ne, 0.8, "phone.cue.8")
			case cue && digits[0] == '0' && c >= 7 && c <= 10:
				f = n.finding(TypePhone, st, g[i].ne, 0.75, "phone.cue.national")
			case !cue && c == 8 && digits[0] != '0' && i == len(g)-1 && (eqInts(shape, 2, 2, 2, 2) || eqInts(shape, 3, 2, 3)) && !n.cueBefore(st, 20, notPhoneCues):
				f = n.finding(TypePhone, st, g[i].ne, 0.5, "phone.grouping")
			case !cue && digits[0] == '0' && i == len(g)-1 && c >= 9 && c <= 10 && (eqInts(shape, 3, 3, 2, 2) || eqInts(shape, 2, 3, 2, 2) || eqInts(shape, 3, 3, 4) || eqInts(shape, 3, 7) || eqInts(shape, 2, 7)) && s[g[0].ne] == '-':
				f = n.finding(TypePhone, st, g[i].ne, 0.5, "phone.grouping")
			case !cue && digits[0] == '0' && i == len(g)-1 && i >= 2 && i <= 3 && c >= 8 && c <= 10 && s[g[0].ne] == '-' && shape[0] >= 2 && shape[0] <= 4 && groupsOf23(shape[1:]) && !n.cueBefore(st, 20, notPhoneCues):
				// Swedish area code and subscriber groups: "040-12 34 56",
				// "08-123 456 78".
				f = n.finding(TypePhone, st, g[i].ne, 0.5, "phone.grouping.areacode")
			default:
				continue
			}
			best = &f
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	return append(out, phoneTrunk(n)...)
}

// phoneTrunk finds "+CC (0)NN…" numbers, whose bracket splits the digit
// run the main loop works on.
func phoneTrunk(n *normText) []Finding {
	var out []Finding
	for _, m := range phoneTrunkRe.FindAllStringSubmatchIndex(n.s, -1) {
		cc := n.s[m[2]:m[3]]
		national := strings.NewReplacer(" ", "", "-", "").Replace(n.s[m[4]:m[5]])
		for _, p := range phoneCC {
			if p.cc == cc && len(national) >= p.min && len(national) <= p.max && !n.alnumAt(m[1]) {
				out = append(out, n.finding(TypePhone, m[0], m[1], 0.9, "phone.intl+"+cc+".trunk"))
			}
		}
	}
	return out
}

func groupsOf23(lens []int) bool {
	for _, l := range lens {
		if l < 2 || l > 3 {
			return false
		}
	}
	return len(lens) > 0
}

func eqInts(a []int, b ...int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
