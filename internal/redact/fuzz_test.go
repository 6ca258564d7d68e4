package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

var fuzzTypes = []string{detect.TypePerson, detect.TypePerson, detect.TypeLocation, detect.TypeOrganization, detect.TypeNOFnr,
	detect.TypeDKCPR, detect.TypeEmail, detect.TypePhone, detect.TypeDateOfBirth, TypeAge, "CUSTOM_LIST"}

// fuzzOptions are the option sets every fuzz input is redacted with.
func fuzzOptions() []Options {
	regions := NewRegions(map[string]string{"Tromsø": "Nord-Norge", "Bergen": "Vestland"})
	var out []Options
	for _, lang := range Languages() {
		o := DefaultOptions()
		o.Lang = lang
		out = append(out, o)
		o.Generalise = DefaultGeneralisers(regions)
		out = append(out, o)
	}
	out = append(out,
		Options{Mode: Remove, MinScore: 0.5},
		Options{Mode: Label},
		Options{Mode: Label, Pseudonyms: true},
		Options{Mode: Label, Pseudonyms: true, FixedWidth: true, MinScore: 0.9, Generalise: DefaultGeneralisers(nil)},
	)
	return out
}

// spansFrom turns each 4 bytes of spec into a finding somewhere in text,
// anywhere, overlapping or not, on character boundaries or not.
func spansFrom(text string, spec []byte) []detect.Finding {
	var out []detect.Finding
	for i := 0; i+4 <= len(spec) && len(out) < 64; i += 4 {
		start := (int(spec[i])<<8 | int(spec[i+1])) % (len(text) + 1)
		end := min(start+int(spec[i+2]%40), len(text))
		out = append(out, detect.Finding{Type: fuzzTypes[int(spec[i+3])%len(fuzzTypes)], Start: start, End: end,
			Score: float64(spec[i+3]) / 255, Rule: "fuzz"})
	}
	return out
}

// The secret alphabet: characters that occur in no label of any language,
// so removed text made of them must not leave a single one behind.
var (
	keptRunes   = []rune("abcdefg .,\né\u00a0")
	secretRunes = []rune("HJKLMQVWXZÆØÅ@+#")
	secretSet   = string(secretRunes)
)

// disjoint builds from seed a text of kept and secret characters and
// findings that cover every run of secret characters: exactly, in two
// overlapping pieces, or reaching into the kept text (mid-character, too),
// plus noise findings of random types and scores anywhere.
func disjoint(seed []byte) (string, []detect.Finding) {
	var b strings.Builder
	for _, c := range seed {
		if c < 128 {
			b.WriteRune(keptRunes[int(c)%len(keptRunes)])
		} else {
			b.WriteRune(secretRunes[int(c)%len(secretRunes)])
		}
	}
	text := b.String()
	var fs []detect.Finding
	k := 0
	add := func(s, e int) {
		k++
		fs = append(fs, detect.Finding{Type: fuzzTypes[k%len(fuzzTypes)], Start: max(0, s), End: min(len(text), e), Score: 0.9 + float64(k%2)/10, Rule: "secret"})
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !strings.ContainsRune(secretSet, r) {
			i += w
			continue
		}
		j := i
		for j < len(text) {
			r2, w2 := utf8.DecodeRuneInString(text[j:])
			if !strings.ContainsRune(secretSet, r2) {
				break
			}
			j += w2
		}
		switch k % 3 {
		case 0:
			add(i, j)
		case 1:
			mid := i + (j-i)/2
			add(i, mid+1)
			add(mid, j)
		case 2:
			add(i-1, j+1)
		}
		i = j
	}
	fs = append(fs, spansFrom(text, seed)...)
	return text, fs
}

// checkIrreversible redacts the disjoint text and checks that nothing of
// the removed text is left: no secret character at all, and hence no
// substring of four or more characters of a removed finding.
func checkIrreversible(t testing.TB, seed []byte) {
	text, fs := disjoint(seed)
	for _, opt := range fuzzOptions() {
		r, err := Text(text, fs, opt)
		if err != nil {
			t.Fatal(err)
		}
		checkStructure(t, text, fs, opt, r)
		if strings.ContainsAny(r.Text, secretSet) {
			t.Fatalf("secret characters left in %q (from %q)", r.Text, text)
		}
		for _, f := range fs {
			if f.Score < opt.MinScore {
				continue
			}
			rs := []rune(text[f.Start:f.End])
			for i := 0; i+4 <= len(rs); i++ {
				if w := string(rs[i : i+4]); strings.Trim(w, secretSet) == "" && strings.Contains(r.Text, w) {
					t.Fatalf("removed %q left in %q", w, r.Text)
				}
			}
		}
	}
}

func TestIrreversibleProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		seed := make([]byte, rng.IntN(200))
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		checkIrreversible(t, seed)
	}
}

func FuzzText(f *testing.F) {
	f.Add("Klager Kari Nordmann, født 01.01.1990, bor i Tromsø og er 34 år gammel.", []byte{0, 7, 13, 0, 0, 9, 30, 200})
	f.Add("fnr 01019012345 e-post kari@example.no tlf +47 912 34 567", []byte{0, 3, 5, 9})
	f.Add("før Åse Ødegård\u00a0etter\u200b", []byte{0, 5, 3, 255, 0, 6, 2, 128})
	f.Add("a\xff\xfeb\xc3", []byte{0, 1, 1, 1, 0, 2, 3, 4})
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, text string, spec []byte) {
		if len(text) > 1<<14 || len(spec) > 1<<10 {
			return
		}
		fs := detect.Default().With(Ages{}).Scan(text)
		fs = append(fs, spansFrom(text, spec)...)
		for _, opt := range fuzzOptions() {
			r, err := Text(text, fs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if utf8.ValidString(text) && !utf8.ValidString(r.Text) {
				t.Fatalf("invalid UTF-8 out of valid input: %q", r.Text)
			}
			checkStructure(t, text, fs, opt, r)
		}
		checkIrreversible(t, spec)
	})
}
