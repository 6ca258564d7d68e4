package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

// fnr returns a valid Norwegian fødselsnummer for the date ddmmyy.
func fnr(t *testing.T, ddmmyy string) string {
	t.Helper()
	for ind := 100; ind < 1000; ind++ {
		for k := range 100 {
			d := fmt.Sprintf("%s%03d%02d", ddmmyy, ind, k)
			if detect.FnrCheck(d) == "classic" {
				return d
			}
		}
	}
	t.Fatalf("no fødselsnummer for %s", ddmmyy)
	return ""
}

// find returns a finding of typ covering the first occurrence of sub.
func find(t *testing.T, text, sub, typ string, score float64) detect.Finding {
	t.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		t.Fatalf("%q not in text", sub)
	}
	return detect.Finding{Type: typ, Start: i, End: i + len(sub), Text: sub, Score: score, Rule: "test"}
}

// findAll returns findings of typ for every occurrence of sub.
func findAll(text, sub, typ string) []detect.Finding {
	var out []detect.Finding
	for off := 0; ; {
		i := strings.Index(text[off:], sub)
		if i < 0 {
			return out
		}
		out = append(out, detect.Finding{Type: typ, Start: off + i, End: off + i + len(sub), Text: sub, Score: 0.9, Rule: "test"})
		off += i + len(sub)
	}
}

func mustText(t *testing.T, text string, fs []detect.Finding, opt Options) Result {
	t.Helper()
	r, err := Text(text, fs, opt)
	if err != nil {
		t.Fatal(err)
	}
	checkStructure(t, text, fs, opt, r)
	return r
}

// checkStructure verifies that r.Text is the text between the replaced
// spans, unchanged, with each replacement's label in between, that every
// finding at or above MinScore lies inside a replaced span, and that no
// label carries text from the input.
func checkStructure(t testing.TB, text string, fs []detect.Finding, opt Options, r Result) {
	t.Helper()
	prevIn, prevOut := 0, 0
	for i, rep := range r.Replacements {
		if rep.Start < prevIn || rep.End <= rep.Start || rep.End > len(text) {
			t.Fatalf("replacement %d: bad span %d..%d after %d", i, rep.Start, rep.End, prevIn)
		}
		if i > 0 && rep.Start < r.Replacements[i-1].End {
			t.Fatalf("replacement %d overlaps the previous one", i)
		}
		if r.Text[prevOut:rep.OutStart] != text[prevIn:rep.Start] {
			t.Fatalf("kept text before replacement %d changed: %q vs %q", i, r.Text[prevOut:rep.OutStart], text[prevIn:rep.Start])
		}
		if r.Text[rep.OutStart:rep.OutEnd] != rep.Label {
			t.Fatalf("replacement %d: label %q not at its offsets", i, rep.Label)
		}
		if !labelFromVocabulary(rep, opt) {
			t.Fatalf("replacement %d: label %q is not built from the category tables", i, rep.Label)
		}
		prevIn, prevOut = rep.End, rep.OutEnd
	}
	if r.Text[prevOut:] != text[prevIn:] {
		t.Fatalf("kept tail changed")
	}
	for i, f := range fs {
		if f.Score < opt.MinScore || f.Start == f.End {
			continue
		}
		covered := false
		for _, rep := range r.Replacements {
			if rep.Start <= f.Start && f.End <= rep.End {
				covered = true
			}
		}
		if !covered {
			t.Fatalf("finding %d (%d..%d) not replaced", i, f.Start, f.End)
		}
	}
}

var genLabelRe = regexp.MustCompile(`^\[(age|alder|born|født) \d+-\d+\]$`)

func labelFromVocabulary(rep Replacement, opt Options) bool {
	if opt.Mode == Remove {
		return rep.Label == RemovedMark
	}
	if rep.Generalised {
		// built-in band generalisers only; Regions is tested on its own
		return genLabelRe.MatchString(rep.Label) || opt.Generalise[rep.Type] != nil && !isBand(opt.Generalise[rep.Type])
	}
	lang := opt.Lang
	if lang == "" {
		lang = "en"
	}
	re := `^\[` + regexp.QuoteMeta(Category(rep.Type, lang)) + `( \d+ *)?\]$`
	return regexp.MustCompile(re).MatchString(rep.Label)
}

func isBand(g Generaliser) bool {
	switch g.(type) {
	case AgeBand, BirthYearBand:
		return true
	}
	return false
}

func TestDefaultsWithDetector(t *testing.T) {
	id := fnr(t, "010190")
	text := "Klager Kari Nordmann (fnr. " + id + ") skrev til kari.nordmann@example.no. Nordmanns leder svarte K. Nordmann samme dag. Ring 912 34 567."
	people := []detect.Person{{Name: "Kari Nordmann", Aliases: []string{"Kari Hansen"}}}
	eng := detect.Default().With(detect.NewPersons(people), Ages{})
	fs := eng.Scan(text)
	opt := DefaultOptions()
	opt.Persons = people
	opt.Lang = "nb"
	r := mustText(t, text, fs, opt)
	for _, leak := range []string{"Nordmann", "Kari", id, "912 34 567", "example.no"} {
		if strings.Contains(r.Text, leak) {
			t.Errorf("output keeps %q: %s", leak, r.Text)
		}
	}
	if strings.Count(r.Text, "[person 1  ]") < 3 || strings.Contains(r.Text, "[person 2") {
		t.Errorf("one person should be [person 1] throughout: %s", r.Text)
	}
	if !strings.Contains(r.Text, "[fødselsnummer 1  ]") {
		t.Errorf("nb label for fødselsnummer missing: %s", r.Text)
	}
	b, _ := json.Marshal(r.Replacements)
	for _, leak := range []string{"Nordmann", id, "example"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("replacement list carries %q", leak)
		}
	}
}

func TestOptionsTable(t *testing.T) {
	text := "Ola Hansen (42 år gammel, født 03.04.1981) bor i Tromsø. Ola Hansen ringte Per Olsen."
	fs := []detect.Finding{
		find(t, text, "42 år gammel", TypeAge, 0.7),
		find(t, text, "03.04.1981", detect.TypeDateOfBirth, 0.85),
		find(t, text, "Tromsø", detect.TypeLocation, 0.6),
		find(t, text, "Per Olsen", detect.TypePerson, 0.4),
	}
	fs = append(fs, findAll(text, "Ola Hansen", detect.TypePerson)...)
	regions := NewRegions(map[string]string{"Tromso": "Nord-Norge"})
	tests := []struct {
		name string
		opt  func(*Options)
		want string
	}{
		{"defaults", func(*Options) {},
			"[person 1  ] ([age 1  ], født [date of birth 1  ]) bor i [place 1  ]. [person 1  ] ringte Per Olsen."},
		{"remove", func(o *Options) { o.Mode = Remove },
			"[…] ([…], født […]) bor i […]. […] ringte Per Olsen."},
		{"no pseudonyms", func(o *Options) { o.Pseudonyms = false },
			"[person] ([age], født [date of birth]) bor i [place]. [person] ringte Per Olsen."},
		{"no fixed width", func(o *Options) { o.FixedWidth = false },
			"[person 1] ([age 1], født [date of birth 1]) bor i [place 1]. [person 1] ringte Per Olsen."},
		{"min score 0", func(o *Options) { o.MinScore = 0; o.FixedWidth = false },
			"[person 1] ([age 1], født [date of birth 1]) bor i [place 1]. [person 1] ringte [person 2]."},
		{"generalise en", func(o *Options) { o.Generalise = DefaultGeneralisers(regions) },
			"[person 1  ] ([age 40-49], født [born 1980-1989]) bor i [place in Nord-Norge]. [person 1  ] ringte Per Olsen."},
		{"generalise nb", func(o *Options) { o.Generalise = DefaultGeneralisers(regions); o.Lang = "nb" },
			"[person 1  ] ([alder 40-49], født [født 1980-1989]) bor i [sted i Nord-Norge]. [person 1  ] ringte Per Olsen."},
		{"generalise da, no region map", func(o *Options) { o.Generalise = DefaultGeneralisers(nil); o.Lang = "da"; o.FixedWidth = false },
			"[person 1] ([alder 40-49], født [født 1980-1989]) bor i [sted 1]. [person 1] ringte Per Olsen."},
		{"generalise in remove mode is ignored", func(o *Options) { o.Generalise = DefaultGeneralisers(regions); o.Mode = Remove },
			"[…] ([…], født […]) bor i […]. […] ringte Per Olsen."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := DefaultOptions()
			tc.opt(&opt)
			r := mustText(t, text, fs, opt)
			if r.Text != tc.want {
				t.Errorf("got  %s\nwant %s", r.Text, tc.want)
			}
			if opt.MinScore > 0.4 && (len(r.Skipped) != 1 || r.Skipped[0].Type != detect.TypePerson) {
				t.Errorf("skipped: %+v", r.Skipped)
			}
		})
	}
}

func TestPseudonymsConsistent(t *testing.T) {
	people := []detect.Person{
		{Name: "Kari Nordmann", Aliases: []string{"Kari Berg"}},
		{Name: "Søren Ågård"},
	}
	text := "Kari Nordmann møtte Søren Ågård. Senere skrev Soeren Aagaard til K. Nordmann, " +
		"og Nordmanns svar kom fra knordmann. Kari Berg er samme person. Ola Hansen og Hansen, Ola " +
		"er en tredje, Ola Hansens bror en fjerde: Per Hansen. Hansen alene er tvetydig."
	var fs []detect.Finding
	for _, s := range []string{"Kari Nordmann", "Søren Ågård", "Soeren Aagaard", "K. Nordmann", "Nordmanns", "knordmann", "Kari Berg", "Ola Hansen", "Hansen, Ola", "Ola Hansens", "Per Hansen", "Hansen alene"} {
		f := find(t, text, s, detect.TypePerson, 0.9)
		if s == "Hansen alene" {
			f.End = f.Start + len("Hansen")
		}
		fs = append(fs, f)
	}
	opt := DefaultOptions()
	opt.FixedWidth = false
	opt.Persons = people
	r := mustText(t, text, detect.Merge(fs), opt)
	want := "[person 1] møtte [person 2]. Senere skrev [person 2] til [person 1], " +
		"og [person 1] svar kom fra [person 1]. [person 1] er samme person. [person 3] og [person 3] " +
		"er en tredje, [person 3] bror en fjerde: [person 4]. [person 5] alene er tvetydig."
	if r.Text != want {
		t.Errorf("got  %s\nwant %s", r.Text, want)
	}

	// Without the case's persons, the document's own full names link the
	// shorter forms.
	opt.Persons = nil
	text2 := "Nordmann, Kari klaget. Kari Nordmann fikk svar. Senere svarte Nordmann. Og K. Nordmann igjen. Per Berg også."
	var fs2 []detect.Finding
	for _, s := range []string{"Nordmann, Kari", "Kari Nordmann", "Nordmann.", "K. Nordmann", "Per Berg"} {
		f := find(t, text2, s, detect.TypePerson, 0.9)
		f.End = f.Start + len(strings.TrimSuffix(s, "."))
		fs2 = append(fs2, f)
	}
	r = mustText(t, text2, fs2, opt)
	want2 := "[person 1] klaget. [person 1] fikk svar. Senere svarte [person 1]. Og [person 1] igjen. [person 2] også."
	if r.Text != want2 {
		t.Errorf("got  %s\nwant %s", r.Text, want2)
	}
}

func TestValuePseudonymsNormalised(t *testing.T) {
	id := fnr(t, "010190")
	spaced := id[:6] + " " + id[6:]
	text := "A: " + id + ", B: " + spaced + ", C: +47 912 34 567, D: 91234567, E: Ola@Example.org, F: ola@example.org, G: 22 33 44 55."
	fs := []detect.Finding{
		find(t, text, id, detect.TypeNOFnr, 0.9),
		find(t, text, spaced, detect.TypeNOFnr, 0.9),
		find(t, text, "+47 912 34 567", detect.TypePhone, 0.9),
		find(t, text, "91234567", detect.TypePhone, 0.9),
		find(t, text, "Ola@Example.org", detect.TypeEmail, 0.9),
		find(t, text, "ola@example.org", detect.TypeEmail, 0.9),
		find(t, text, "22 33 44 55", detect.TypePhone, 0.9),
	}
	opt := DefaultOptions()
	opt.FixedWidth = false
	r := mustText(t, text, fs, opt)
	want := "A: [national ID number 1], B: [national ID number 1], C: [phone number 1], D: [phone number 1], E: [e-mail 1], F: [e-mail 1], G: [phone number 2]."
	if r.Text != want {
		t.Errorf("got  %s\nwant %s", r.Text, want)
	}
}

func TestLabelWidthConstant(t *testing.T) {
	var b strings.Builder
	var fs []detect.Finding
	names := []string{"Al", "Bo Ek", "Kari Nordmann", "Maximiliane Wilhelmina von Habsburg-Lothringen", "Åse", "Ø"}
	for i := range 120 {
		name := fmt.Sprintf("%s%d", names[i%len(names)], i)
		b.WriteString("x ")
		fs = append(fs, detect.Finding{Type: detect.TypePerson, Start: b.Len(), End: b.Len() + len(name), Score: 0.9})
		b.WriteString(name)
		id := strings.Repeat("7", 1+i%13)
		b.WriteString(" ")
		fs = append(fs, detect.Finding{Type: detect.TypeNOFnr, Start: b.Len(), End: b.Len() + len(id), Score: 0.9})
		b.WriteString(id)
	}
	for _, lang := range Languages() {
		opt := DefaultOptions()
		opt.Lang = lang
		r := mustText(t, b.String(), fs, opt)
		widths := map[string]map[int]bool{}
		for _, rep := range r.Replacements {
			if widths[rep.Type] == nil {
				widths[rep.Type] = map[int]bool{}
			}
			w := utf8.RuneCountInString(rep.Label)
			widths[rep.Type][w] = true
			if w != LabelWidth(rep.Type, lang) {
				t.Errorf("%s: %q is %d wide, want %d", lang, rep.Label, w, LabelWidth(rep.Type, lang))
			}
		}
		for typ, ws := range widths {
			if len(ws) != 1 {
				t.Errorf("%s %s: label widths %v", lang, typ, ws)
			}
		}
		if r.Replacements[len(r.Replacements)-2].Pseudonym != 120 {
			t.Errorf("want 120 distinct persons, last is %d", r.Replacements[len(r.Replacements)-2].Pseudonym)
		}
		opt.Mode = Remove
		r = mustText(t, b.String(), fs, opt)
		for _, rep := range r.Replacements {
			if rep.Label != RemovedMark {
				t.Fatalf("remove mode label %q", rep.Label)
			}
		}
	}
}

func TestOverlappingFindings(t *testing.T) {
	text := "abc Kari Nordmann Hansen xyz 0123456789 end"
	f := func(s, e int, typ string, score float64) detect.Finding {
		return detect.Finding{Type: typ, Start: s, End: e, Score: score, Rule: "r"}
	}
	fs := []detect.Finding{
		f(29, 39, detect.TypePhone, 0.6), // out of order
		f(4, 17, detect.TypePerson, 0.9), // Kari Nordmann
		f(9, 24, detect.TypePerson, 0.7), // Nordmann Hansen (overlaps)
		f(9, 17, detect.TypeLocation, 0.95),
		f(29, 39, detect.TypeNOFnr, 0.8), // same span, higher score
		f(31, 35, detect.TypeEmail, 0.5), // nested
		f(39, 39, detect.TypeEmail, 0.9), // empty: ignored
		f(39, 40, detect.TypeEmail, 0.9), // touches: separate
	}
	opt := DefaultOptions()
	opt.FixedWidth = false
	r := mustText(t, text, fs, opt)
	if want := "abc [place 1] xyz [national ID number 1][e-mail 1]end"; r.Text != want {
		t.Errorf("got  %s\nwant %s", r.Text, want)
	}
	if len(r.Replacements) != 3 || r.Replacements[0].Merged != 3 || r.Replacements[0].Start != 4 || r.Replacements[0].End != 24 || r.Replacements[1].Merged != 3 {
		t.Errorf("replacements %+v", r.Replacements)
	}
}

func TestSnapToCharacters(t *testing.T) {
	text := "før Åse Ødegård etter"
	i := strings.Index(text, "Åse")
	// start and end inside multi-byte characters
	fs := []detect.Finding{{Type: detect.TypePerson, Start: i + 1, End: strings.Index(text, "Ø") + 1, Score: 1}}
	r, err := Text(text, fs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(r.Text) || strings.ContainsAny(r.Text, "ÅØ") || !strings.HasPrefix(r.Text, "før [person 1") || !strings.HasSuffix(r.Text, "degård etter") {
		t.Errorf("got %q", r.Text)
	}
	// invalid UTF-8 bytes are characters of their own
	bad := "a\xff\xfeb"
	r, err = Text(bad, []detect.Finding{{Type: "X", Start: 2, End: 3, Score: 1}}, Options{Mode: Remove})
	if err != nil || r.Text != "a\xff[…]b" {
		t.Errorf("got %q, %v", r.Text, err)
	}
}

func TestErrors(t *testing.T) {
	text := "secret value"
	for _, fs := range [][]detect.Finding{
		{{Type: "PERSON", Start: -1, End: 3, Text: "secret"}},
		{{Type: "PERSON", Start: 0, End: 99, Text: "secret"}},
		{{Type: "PERSON secret", Start: 5, End: 2, Text: "secret"}},
	} {
		_, err := Text(text, fs, DefaultOptions())
		if !errors.Is(err, ErrFinding) {
			t.Errorf("%+v: err %v", fs, err)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error carries text: %v", err)
		}
	}
	opt := DefaultOptions()
	opt.Lang = "sv"
	if _, err := Text(text, nil, opt); err == nil {
		t.Error("unknown language accepted")
	}
	opt = DefaultOptions()
	opt.Mode = 7
	if _, err := Text(text, nil, opt); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestGeneralisers(t *testing.T) {
	for _, tc := range []struct {
		g          Generaliser
		in, lang   string
		want       string
		wantAbsent bool
	}{
		{AgeBand{}, "42 år gammel", "nb", "alder 40-49", false},
		{AgeBand{Width: 5}, "aged 42", "en", "age 40-44", false},
		{AgeBand{}, "９ years old", "en", "age 0-9", false},
		{AgeBand{}, "age 300", "en", "", true},
		{AgeBand{}, "42 or 43 years old", "en", "", true},
		{BirthYearBand{}, "03.04.1981", "da", "født 1980-1989", false},
		{BirthYearBand{Width: 5}, "1984-03-12", "en", "born 1980-1984", false},
		{BirthYearBand{}, "3. mars 2001", "nb", "født 2000-2009", false},
		{BirthYearBand{}, "03.04.81", "en", "", true},
		{NewRegions(map[string]string{"Tromsø": "Nord-Norge", "Oslo": "Oslo og Viken"}), "Tromsoe", "nb", "sted i Nord-Norge", false},
		{NewRegions(map[string]string{"Tromsø": "Nord-Norge"}), "Tromsøs", "en", "place in Nord-Norge", false},
		{NewRegions(map[string]string{"Oslo": "Oslo og Viken"}), "Oslo", "en", "", true},
		{NewRegions(map[string]string{"Tromsø": "Nord-Norge"}), "Bodø", "en", "", true},
		{(*Regions)(nil), "Bodø", "en", "", true},
	} {
		got, ok := tc.g.Generalise(tc.in, tc.lang)
		if ok == tc.wantAbsent || got != tc.want {
			t.Errorf("%T %q: got %q, %v", tc.g, tc.in, got, ok)
		}
	}
	// a generaliser's output cannot break out of its brackets
	text := "bor i Bodø nå"
	opt := DefaultOptions()
	opt.Generalise = map[string]Generaliser{detect.TypeLocation: GeneraliserFunc(func(string, string) (string, bool) { return "] x\n[y", true })}
	r, err := Text(text, []detect.Finding{find(t, text, "Bodø", detect.TypeLocation, 1)}, opt)
	if err != nil || r.Text != "bor i [x y] nå" {
		t.Errorf("got %q, %v", r.Text, err)
	}
}

func TestAges(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"en 42 år gammel mann", "42 år gammel"},
		{"hun er 42-årig", "42-årig"},
		{"han var 17 år gml. da", "17 år gml."},
		{"a 42-year-old man", "42-year-old"},
		{"she is 42 years old", "42 years old"},
		{"aged 42, he", "aged 42"},
		{"Age: 42", "Age: 42"},
		{"i en alder av 42 år", "alder av 42 år"},
		{"42-vuotias mies", "42-vuotias"},
		{"i 3 år", ""},
		{"page 42", ""},
		{"999 years old", ""},
	} {
		fs := Ages{}.Detect(tc.in)
		got := ""
		if len(fs) > 0 {
			got = tc.in[fs[0].Start:fs[0].End]
		}
		if got != tc.want || len(fs) > 1 {
			t.Errorf("%q: got %q (%d findings)", tc.in, got, len(fs))
		}
	}
	// through the engine
	fs := detect.Default().With(Ages{}).Scan("Klageren er 42 år gammel.")
	opt := DefaultOptions()
	opt.Generalise = DefaultGeneralisers(nil)
	r, err := Text("Klageren er 42 år gammel.", fs, opt)
	if err != nil || r.Text != "Klageren er [age 40-49]." {
		t.Errorf("got %q, %v", r.Text, err)
	}
}

func TestReadPersonsAndRegions(t *testing.T) {
	ps, err := ReadPersons(strings.NewReader("\uFEFF# parties\nKari Nordmann; Kari N. ; Kari Hansen\n\n  Ola Hansen  \nPer;;\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].Name != "Kari Nordmann" || len(ps[0].Aliases) != 2 || ps[0].Aliases[1] != "Kari Hansen" || ps[1].Name != "Ola Hansen" || ps[2].Name != "Per" || len(ps[2].Aliases) != 0 {
		t.Errorf("%+v", ps)
	}
	if _, err := ReadPersons(strings.NewReader("ok\n; Secret Alias\n")); err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "Secret") {
		t.Errorf("err %v", err)
	}
	rg, err := ReadRegions(strings.NewReader("# town; region\nTromsø; Nord-Norge\nBodø;Nord-Norge\n"))
	if err != nil || rg.Len() != 2 {
		t.Fatalf("%v %v", rg, err)
	}
	if _, err := ReadRegions(strings.NewReader("Tromsø\n")); err == nil {
		t.Error("line without region accepted")
	}
}
