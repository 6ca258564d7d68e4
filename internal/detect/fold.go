package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldText is a lower-cased, spelling-folded copy of the normalised text
// used for name matching: ø ö œ → o, å → a, æ ä → a, ü → u, accents
// dropped, and then the digraphs oe, aa, ae, ue collapsed to o, a, a, u,
// so that "Sørensen", "Soerensen" and "Sorensen" fold alike, as do "Ålesund"
// and "Aalesund". pos maps each folded byte to the normalised byte span.
type foldText struct {
	s          string
	nstart, ne []int
}

var foldTable = map[rune]string{
	'ø': "o", 'ö': "o", 'œ': "o", 'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o",
	'å': "a", 'æ': "a", 'ä': "a", 'á': "a", 'à': "a", 'â': "a", 'ã': "a",
	'ü': "u", 'ú': "u", 'ù': "u", 'û': "u",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i",
	'ñ': "n", 'ç': "c", 'ß': "ss", 'ð': "d", 'þ': "th", 'ý': "y", 'š': "s", 'ž': "z", 'č': "c",
	'’': "'",
}

// FoldName returns the folded form of s used for name matching.
func FoldName(s string) string { return foldString(s).s }

func foldString(s string) *foldText {
	var b []byte
	var st, en []int
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		lr := unicode.ToLower(r)
		rep, ok := foldTable[lr]
		if !ok {
			rep = string(lr)
			if r == utf8.RuneError && w == 1 {
				rep = " "
			}
		}
		for _, c := range []byte(rep) {
			// collapse digraphs: previous output a/o/u followed by e, or a+a
			if k := len(b) - 1; k >= 0 && ((c == 'e' && (b[k] == 'o' || b[k] == 'a' || b[k] == 'u')) || (c == 'a' && b[k] == 'a')) {
				en[k] = i + w
				continue
			}
			b = append(b, c)
			st = append(st, i)
			en = append(en, i+w)
		}
		i += w
	}
	return &foldText{s: string(b), nstart: st, ne: en}
}

func (n *normText) folded() *foldText {
	if n.fold == nil {
		n.fold = foldString(n.s)
	}
	return n.fold
}

// token is a run of letters and digits in the folded text.
type token struct {
	fs, fe int // folded span
}

func (n *normText) tokens() []token {
	if n.toksOK {
		return n.toks
	}
	n.toksOK = true
	f := n.folded().s
	for i := 0; i < len(f); {
		r, w := utf8.DecodeRuneInString(f[i:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			i += w
			continue
		}
		j := i + w
		for j < len(f) {
			r, w := utf8.DecodeRuneInString(f[j:])
			if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				break
			}
			j += w
		}
		n.toks = append(n.toks, token{i, j})
		i = j
	}
	return n.toks
}

// foldSpanToOrig maps a folded span to the original text.
func (n *normText) foldFinding(typ string, fs, fe int, score float64, rule string) Finding {
	f := n.folded()
	return n.finding(typ, f.nstart[fs], f.ne[fe-1], score, rule)
}

// joinable reports whether the gap between two tokens may sit inside a
// multi-word name: spaces, a newline, '.', '-', '_', '\” or ','.
func joinable(gap string) bool {
	if len(gap) == 0 || len(gap) > 3 {
		return false
	}
	return strings.Trim(gap, " \n\r.-_',") == "" && strings.Count(gap, "\n") <= 1
}

// phraseMatcher finds folded multi-token keys in the token stream.
type phraseMatcher struct {
	keys map[string]phraseEntry
	maxN int
}

type phraseEntry struct {
	typ, rule string
	score     float64
	// capital requires the first matched rune in the original text to be
	// upper case, unless the match sits inside an e-mail address.
	capital bool
}

func newPhraseMatcher() *phraseMatcher { return &phraseMatcher{keys: map[string]phraseEntry{}} }

// add registers phrase (any spelling; it is folded and tokenised).
func (m *phraseMatcher) add(phrase string, e phraseEntry) {
	key := foldKey(phrase)
	if key == "" {
		return
	}
	if old, ok := m.keys[key]; ok && old.score >= e.score {
		return
	}
	m.keys[key] = e
	m.maxN = max(m.maxN, strings.Count(key, " ")+1)
}

func foldKey(s string) string {
	f := FoldName(s)
	return strings.Join(strings.FieldsFunc(f, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r)) }), " ")
}

func (m *phraseMatcher) match(n *normText) []Finding {
	if len(m.keys) == 0 {
		return nil
	}
	toks := n.tokens()
	f := n.folded().s
	var out []Finding
	for i := 0; i < len(toks); {
		matched := false
		var key strings.Builder
		type hit struct {
			e      phraseEntry
			end    int // last token index
			suffix string
		}
		var best *hit
		for k := i; k < len(toks) && k-i < m.maxN; k++ {
			if k > i {
				if !joinable(f[toks[k-1].fe:toks[k].fs]) {
					break
				}
				key.WriteByte(' ')
			}
			key.WriteString(f[toks[k].fs:toks[k].fe])
			ks := key.String()
			if e, ok := m.keys[ks]; ok {
				best = &hit{e, k, ""}
			} else if strings.HasSuffix(ks, "s") && len(ks) > 3 {
				if e, ok := m.keys[ks[:len(ks)-1]]; ok {
					best = &hit{e, k, ".genitive"}
				}
			}
		}
		if best != nil {
			st, en := toks[i].fs, toks[best.end].fe
			// "Nordmann's": take the genitive s along.
			if j := best.end + 1; j < len(toks) && f[toks[j].fs:toks[j].fe] == "s" && (f[toks[best.end].fe:toks[j].fs] == "'") {
				en = toks[j].fe
				best.suffix = ".genitive"
			}
			ok := true
			rule := best.e.rule + best.suffix
			if emailContext(n, st, en) {
				rule = best.e.rule + ".email"
			} else if best.e.capital {
				ns := n.folded().nstart[st]
				r, _ := utf8.DecodeRuneInString(n.s[ns:])
				ok = unicode.IsUpper(r)
			}
			if ok {
				out = append(out, n.foldFinding(best.e.typ, st, en, best.e.score, rule))
				matched = true
				i = best.end + 1
			}
		}
		if !matched {
			i++
		}
	}
	return out
}

// emailContext reports whether the folded span lies in a run of non-space
// characters containing '@'.
func emailContext(n *normText, fs, fe int) bool {
	f := n.folded().s
	a, b := fs, fe
	for a > 0 && !isSpaceByte(f[a-1]) {
		a--
	}
	for b < len(f) && !isSpaceByte(f[b]) {
		b++
	}
	return strings.IndexByte(f[a:b], '@') >= 0
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || c == '"'
}
