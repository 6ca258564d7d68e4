package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// normText is a normalised copy of a text with a map from every byte of the
// copy back to the original rune it came from.
type normText struct {
	orig string
	s    string // normalised
	// start[i] and end[i] are the byte span in orig of the rune that
	// produced byte i of s.
	start, end []int

	runes   []numRun // lazily computed digit runs
	runesOK bool
	fold    *foldText
	toks    []token
	toksOK  bool
	dates   []dateMatch
	datesOK bool
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// Normalize returns the normalised form of s used for matching and, for each
// byte of it, the byte span in s of the rune it came from. It is exported
// for tests and tools; detectors use it internally.
//
// Rules: U+00A0, U+202F, U+2007, U+2000-U+200A, U+3000 and tab become a
// space; U+200B-U+200D, U+2060, U+FEFF and the soft hyphen are dropped;
// full-width digits, letters and + - . @ / become ASCII; Unicode dashes
// (U+2010-U+2015, U+2212, U+FE63) become '-'; invalid UTF-8 bytes become a
// space. Everything else is copied unchanged.
func Normalize(s string) (norm string, start, end []int) {
	n := normalize(s)
	return n.s, n.start, n.end
}

func normalize(s string) *normText {
	var b strings.Builder
	b.Grow(len(s))
	start := make([]int, 0, len(s))
	end := make([]int, 0, len(s))
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		var out rune = -1
		switch {
		case r == utf8.RuneError && w <= 1:
			out = ' '
		case r == '\t' || r == 0xA0 || r == 0x202F || r == 0x2007 || (r >= 0x2000 && r <= 0x200A) || r == 0x3000:
			out = ' '
		case (r >= 0x200B && r <= 0x200D) || r == 0x2060 || r == 0xFEFF || r == 0xAD:
			out = -2 // dropped
		case r >= 0xFF10 && r <= 0xFF19:
			out = '0' + (r - 0xFF10)
		case r >= 0xFF21 && r <= 0xFF3A:
			out = 'A' + (r - 0xFF21)
		case r >= 0xFF41 && r <= 0xFF5A:
			out = 'a' + (r - 0xFF41)
		case r == 0xFF0B:
			out = '+'
		case r == 0xFF0D || r == 0xFE63 || r == 0x2212 || (r >= 0x2010 && r <= 0x2015):
			out = '-'
		case r == 0xFF0E:
			out = '.'
		case r == 0xFF20:
			out = '@'
		case r == 0xFF0F:
			out = '/'
		default:
			out = r
		}
		if out != -2 {
			k := b.Len()
			b.WriteRune(out)
			for j := k; j < b.Len(); j++ {
				start = append(start, i)
				end = append(end, i+w)
			}
		}
		i += w
	}
	return &normText{orig: s, s: b.String(), start: start, end: end}
}

// span maps the normalised byte span [ns, ne) back to the original text.
func (n *normText) span(ns, ne int) (int, int) {
	return n.start[ns], n.end[ne-1]
}

// finding builds a Finding from a normalised span.
func (n *normText) finding(typ string, ns, ne int, score float64, rule string) Finding {
	s, e := n.span(ns, ne)
	return Finding{Type: typ, Start: s, End: e, Text: n.orig[s:e], Score: clamp01(score), Rule: rule}
}

// A numRun is a maximal run of digit groups separated by short separators
// (space, '.', '-', '/', '+', newline), e.g. "010190 123\n45".
type numRun struct {
	groups []numGroup
}

type numGroup struct {
	ns, ne int // normalised span of the digits
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSepByte(c byte) bool {
	return c == ' ' || c == '.' || c == '-' || c == '/' || c == '+' || c == '\n' || c == '\r'
}
func isASCIIAl(c byte) bool  { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWordByte(c byte) bool { return isDigit(c) || isASCIIAl(c) || c >= 0x80 }

// letterBefore reports whether the rune ending at ns is a letter or digit.
func (n *normText) alnumBefore(ns int) bool {
	if ns == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(n.s[:ns])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (n *normText) alnumAt(ne int) bool {
	if ne >= len(n.s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(n.s[ne:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (n *normText) numRuns() []numRun {
	if n.runesOK {
		return n.runes
	}
	n.runesOK = true
	s := n.s
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || n.alnumBefore(i) {
			i++
			continue
		}
		var run numRun
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			run.groups = append(run.groups, numGroup{j, k})
			// separator of 1..3 bytes, at most one newline, then a digit
			m := k
			nl := 0
			for m < len(s) && m-k < 3 && isSepByte(s[m]) {
				if s[m] == '\n' {
					nl++
				}
				m++
			}
			if m > k && m < len(s) && isDigit(s[m]) && nl <= 1 {
				j = m
				continue
			}
			j = k
			break
		}
		// A run glued to a following letter ("123abc") is still kept; the
		// detectors check the boundary of the part they use.
		n.runes = append(n.runes, run)
		i = j
		if i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return n.runes
}

// numCand is a candidate number made of consecutive whole groups of a run.
type numCand struct {
	digits string
	ns, ne int
	lens   []int    // digit count per group
	seps   []string // separators between groups
	first  bool     // the candidate starts at the run's first group
}

// numberCandidates returns every sequence of whole consecutive groups of a
// run with exactly l digits in total whose end is not glued to a letter.
func (n *normText) numberCandidates(l int) []numCand {
	var out []numCand
	for _, run := range n.numRuns() {
		g := run.groups
		for a := range g {
			total := 0
			for b := a; b < len(g); b++ {
				total += g[b].ne - g[b].ns
				if total > l {
					break
				}
				if total == l {
					if n.alnumAt(g[b].ne) {
						break
					}
					c := numCand{ns: g[a].ns, ne: g[b].ne, first: a == 0}
					var d strings.Builder
					for x := a; x <= b; x++ {
						d.WriteString(n.s[g[x].ns:g[x].ne])
						c.lens = append(c.lens, g[x].ne-g[x].ns)
						if x > a {
							c.seps = append(c.seps, n.s[g[x-1].ne:g[x].ns])
						}
					}
					c.digits = d.String()
					out = append(out, c)
					break
				}
			}
		}
	}
	return out
}

// shape reports whether the candidate's grouping is one of want, e.g.
// shape(10) or shape(6,4).
func (c numCand) shape(want ...int) bool {
	if len(c.lens) != len(want) {
		return false
	}
	for i := range want {
		if c.lens[i] != want[i] {
			return false
		}
	}
	return true
}

// cueBefore reports whether one of cues (lower case) ends within window
// bytes before ns, as a whole word.
func (n *normText) cueBefore(ns, window int, cues []string) bool {
	lo := max(ns-window, 0)
	for lo > 0 && !utf8.RuneStart(n.s[lo]) {
		lo--
	}
	w := strings.ToLower(n.s[lo:ns])
	for _, c := range cues {
		for off := 0; ; {
			k := strings.Index(w[off:], c)
			if k < 0 {
				break
			}
			k += off
			okL := k == 0 && lo == 0 || k > 0 && !isWordByte(w[k-1]) || k == 0 && lo > 0 && !isWordByte(n.s[lo-1])
			e := k + len(c)
			okR := strings.HasSuffix(c, ".") || strings.HasSuffix(c, ":") || e >= len(w) || !isWordByte(w[e])
			if okL && okR {
				return true
			}
			off = k + 1
		}
	}
	return false
}
