package eval

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

var update = flag.Bool("update", false, "rewrite testdata/heldout/heldout.jsonl from the markup")

const heldoutDir = "testdata/heldout"

func TestHeldoutJSONLIsRenderedFromSource(t *testing.T) {
	docs, err := LoadMarkupDir(heldoutDir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, docs); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(heldoutDir, "heldout.jsonl")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("heldout.jsonl is stale: run go test ./internal/detect/eval -run TestHeldoutJSONLIsRenderedFromSource -update")
	}
}

func TestHeldoutEveryLabelCoversItsText(t *testing.T) {
	docs, err := Heldout()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		for _, s := range append(append([]Span{}, d.Gold...), d.Negatives...) {
			if d.Text[s.Start:s.End] != s.Text {
				t.Errorf("%s: %s [%d,%d) = %q, label %q", d.ID, s.Type, s.Start, s.End, d.Text[s.Start:s.End], s.Text)
			}
			if strings.TrimSpace(s.Text) != s.Text {
				t.Errorf("%s: %s label %q has surrounding space", d.ID, s.Type, s.Text)
			}
		}
	}
}

func TestHeldoutCoversLanguagesStylesAndTypes(t *testing.T) {
	docs, err := Heldout()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 75 {
		t.Errorf("%d documents, want about 80", len(docs))
	}
	langs, styles, types := map[string]int{}, map[string]int{}, map[string]int{}
	negatives := 0
	for _, d := range docs {
		langs[d.Lang]++
		styles[d.Style]++
		for _, g := range d.Gold {
			types[g.Type]++
		}
		negatives += len(d.Negatives)
	}
	for _, l := range []string{"nb", "da", "sv", "sv-fi", "fi", "en"} {
		if langs[l] == 0 {
			t.Errorf("no document in %s", l)
		}
	}
	for _, s := range []string{"whistleblower-report", "forwarded-email", "meeting-minutes", "hr-note", "public-body-decision", "asylum-case-note", "chat-log"} {
		if styles[s] == 0 {
			t.Errorf("no document of style %s", s)
		}
	}
	for typ := range knownTypes {
		if types[typ] < 3 {
			t.Errorf("only %d labels of %s", types[typ], typ)
		}
	}
	if negatives < 100 {
		t.Errorf("%d labelled negatives, want at least 100", negatives)
	}
}

// The labels must not contradict each other: a value is either an entity
// or a negative, and two entities do not overlap.
func TestHeldoutLabelsDoNotOverlap(t *testing.T) {
	docs, err := Heldout()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		all := append(append([]Span{}, d.Gold...), d.Negatives...)
		for i := range all {
			for j := i + 1; j < len(all); j++ {
				if all[i].Start < all[j].End && all[j].Start < all[i].End {
					t.Errorf("%s: %q overlaps %q", d.ID, all[i].Text, all[j].Text)
				}
			}
		}
	}
}

// Every generated ID number is synthetic and, unless tagged invalid-check,
// passes its check-digit rule; the invalid ones must fail it.
func TestHeldoutIDNumbersHaveTheirCheckDigits(t *testing.T) {
	docs, err := Heldout()
	if err != nil {
		t.Fatal(err)
	}
	compact := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '.' || r == '-' || r == '+' || r == '\n' || r == '\u00a0' || r == '\u200b' {
				return -1
			}
			return r
		}, s)
	}
	checked := 0
	for _, d := range docs {
		for _, g := range d.Gold {
			c := compact(g.Text)
			var ok bool
			switch g.Type {
			case detect.TypeNOFnr:
				ok = ValidFnr(c)
			case detect.TypeDKCPR:
				// Numbers issued since 2007 may fail modulus 11; the
				// corpus says which ones do.
				ok = len(c) == 10 && ValidCPRMod11(c) != hasTag(g, "nomod")
			case detect.TypeSEPnr:
				if len(c) == 12 {
					c = c[2:]
				}
				ok = ValidPnr(c)
			case detect.TypeFIHetu:
				ok = ValidHetu(strings.ReplaceAll(g.Text, "\u00a0", ""))
			case detect.TypeNODuf:
				ok = ValidDUF(c)
			case detect.TypeIBAN:
				ok = ValidIBAN(c)
			default:
				continue
			}
			checked++
			if ok == hasTag(g, "invalid-check") {
				t.Errorf("%s: %s %q valid=%v, tags %v", d.ID, g.Type, g.Text, ok, g.Tags)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d ID numbers checked", checked)
	}
}

func hasTag(s Span, tag string) bool {
	for _, t := range s.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// The independent check-digit rules against published test vectors, so a
// fault here cannot hide behind the generator agreeing with itself.
func TestCheckDigitRulesMatchPublishedVectors(t *testing.T) {
	cases := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"fnr NAV fnrvalidator example", ValidFnr, "13097248022", true},
		{"fnr last digit off", ValidFnr, "13097248023", false},
		{"cpr mod 11", ValidCPRMod11, "0707614285", true},
		{"cpr mod 11 off", ValidCPRMod11, "0707614286", false},
		{"pnr Skatteverket example", ValidPnr, "8112189876", true},
		{"pnr off", ValidPnr, "8112189875", false},
		{"hetu DVV example", ValidHetu, "131052-308T", true},
		{"hetu 2023 century sign", ValidHetu, "010594Y9021", true},
		{"hetu wrong char", ValidHetu, "131052-308U", false},
		{"iban NO example", ValidIBAN, "NO9386011117947", true},
		{"iban DK example", ValidIBAN, "DK5000400440116243", true},
		{"iban off", ValidIBAN, "NO9386011117948", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.fn(c.in); got != c.want {
				t.Errorf("%s(%q) = %v, want %v", c.name, c.in, got, c.want)
			}
		})
	}
}

func TestReadJSONLRejectsDriftedLabels(t *testing.T) {
	cases := []struct{ name, line string }{
		{"text differs", `{"id":"a","lang":"nb","style":"x","text":"Kari bor her","entities":[{"type":"PERSON","start":0,"end":4,"text":"Kåre"}]}`},
		{"out of range", `{"id":"a","lang":"nb","style":"x","text":"Kari","entities":[{"type":"PERSON","start":0,"end":9,"text":"Kari"}]}`},
		{"splits a character", `{"id":"a","lang":"nb","style":"x","text":"Åse","entities":[{"type":"PERSON","start":1,"end":3}]}`},
		{"empty span", `{"id":"a","lang":"nb","style":"x","text":"Kari","entities":[{"type":"PERSON","start":2,"end":2}]}`},
		{"unknown field", `{"id":"a","lang":"nb","style":"x","text":"Kari","entities":[],"extra":1}`},
		{"no id", `{"lang":"nb","style":"x","text":"Kari","entities":[]}`},
		{"negative without kind", `{"id":"a","lang":"nb","style":"x","text":"Kari","entities":[],"negatives":[{"start":0,"end":4}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ReadJSONL(strings.NewReader(c.line)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestParseMarkupRendersSpansAndGenerators(t *testing.T) {
	src := "### t-1 nb note\n@persons Kari Berg (alias K. B.; Kari B)\n⟦PERSON:kari berg⟧, fnr ⟦NO_FNR=fnr|1985-03-03|f|######{nbsp}#####⟧, faktura ⟦~invoice:123⟧.\n"
	docs, err := ParseMarkup(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%d docs", len(docs))
	}
	d := docs[0]
	if d.ID != "t-1" || d.Lang != "nb" || d.Style != "note" {
		t.Errorf("header %+v", d)
	}
	if len(d.Persons) != 1 || d.Persons[0].Name != "Kari Berg" || len(d.Persons[0].Aliases) != 2 {
		t.Errorf("persons %+v", d.Persons)
	}
	if len(d.Gold) != 2 || len(d.Negatives) != 1 {
		t.Fatalf("gold %+v negatives %+v", d.Gold, d.Negatives)
	}
	if !hasTag(d.Gold[0], "lower") || !hasTag(d.Gold[0], "common-word") {
		t.Errorf("tags %v", d.Gold[0].Tags)
	}
	f := d.Gold[1]
	if !strings.HasPrefix(f.Text, "030385\u00a0") || !hasTag(f, "nbsp") || !ValidFnr(strings.ReplaceAll(f.Text, "\u00a0", "")) {
		t.Errorf("fnr %q tags %v", f.Text, f.Tags)
	}
	if d.Text[d.Negatives[0].Start:d.Negatives[0].End] != "123" {
		t.Errorf("negative %+v", d.Negatives[0])
	}
	again, _ := ParseMarkup(src)
	if again[0].Text != d.Text {
		t.Error("generated numbers are not reproducible")
	}
}

func TestParseMarkupRejectsBrokenLabels(t *testing.T) {
	cases := map[string]string{
		"unclosed":          "### a nb x\n⟦PERSON:Kari\n",
		"unopened":          "### a nb x\nKari⟧\n",
		"unknown type":      "### a nb x\n⟦NAME:Kari⟧\n",
		"no entity":         "### a nb x\njust text\n",
		"bad pattern":       "### a nb x\n⟦NO_FNR=fnr|1985-03-03|f|####⟧\n",
		"unknown generator": "### a nb x\n⟦NO_FNR=xyz|1|###⟧\n",
		"bad header":        "### a nb\n⟦PERSON:Kari⟧\n",
		"text before":       "hello\n### a nb x\n⟦PERSON:Kari⟧\n",
		"repeated id":       "### a nb x\n⟦PERSON:Kari⟧\n### a nb x\n⟦PERSON:Ola⟧\n",
		"nested":            "### a nb x\n⟦PERSON:⟦PERSON:Kari⟧⟧\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseMarkup(src); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzParseMarkup(f *testing.F) {
	f.Add("### a nb x\n⟦PERSON/lower:kari⟧ ⟦NO_FNR=fnr|1985-03-03|f|###########⟧ ⟦~invoice:1⟧\n")
	f.Add("### a nb x\n@persons A (alias B)\n⟦IBAN=iban|NO|NO## #### #### ###⟧\n")
	f.Fuzz(func(t *testing.T, src string) {
		docs, err := ParseMarkup(src)
		if err != nil {
			return
		}
		for _, d := range docs {
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"id":"a","lang":"nb","style":"x","text":"Kari bor her","entities":[{"type":"PERSON","start":0,"end":4,"text":"Kari"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		docs, err := ReadJSONL(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, d := range docs {
			for _, s := range d.Gold {
				if !utf8.ValidString(d.Text[s.Start:s.End]) {
					t.Fatal("span splits a character")
				}
			}
		}
	})
}

// BenchmarkHeldoutScan: detection over the held-out corpus with each
// document's persons, as cmd/varsel-eval measures it (b.SetBytes gives MB/s).
func BenchmarkHeldoutScan(b *testing.B) {
	docs, err := Heldout()
	if err != nil {
		b.Fatal(err)
	}
	base := detect.Default()
	size := 0
	for _, d := range docs {
		size += len(d.Text)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, d := range docs {
			EngineFor(base, d).Scan(d.Text)
		}
	}
}
