package detect

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeTolerance(t *testing.T) {
	fnr := refFnrAny("010190", 123)
	fw := func(s string) string { // full-width digits
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r - '0' + 0xFF10)
		}
		return b.String()
	}
	variants := []string{
		fnr[:6] + "\u00a0" + fnr[6:],
		fnr[:6] + "\u202f" + fnr[6:],
		fnr[:3] + "\u200b" + fnr[3:6] + "\u2060" + fnr[6:] + "\ufeff",
		fnr[:6] + "\u2013" + fnr[6:],
		fnr[:2] + "." + fnr[2:4] + "." + fnr[4:6] + " " + fnr[6:],
		fw(fnr),
		fnr[:6] + "\n" + fnr[6:],
		fnr[:6] + " -\n" + fnr[6:],
	}
	for _, v := range variants {
		text := "fødselsnummer: " + v + " (bekreftet)"
		fs := Default().Scan(text)
		var got *Finding
		for i := range fs {
			if fs[i].Type == TypeNOFnr {
				got = &fs[i]
			}
		}
		if got == nil {
			t.Errorf("%q: not found: %+v", v, fs)
			continue
		}
		if strings.Trim(got.Text, "\ufeff\u200b\u2060") != strings.Trim(v, "\ufeff\u200b\u2060") {
			t.Errorf("%q: span %q", v, got.Text)
		}
	}
}

func TestNormalizeMap(t *testing.T) {
	in := "a\u00a0b\u200bc１２-\u2013x\xffy"
	n, st, en := Normalize(in)
	if n != "a bc12--x y" {
		t.Fatalf("normalized %q", n)
	}
	if len(st) != len(n) || len(en) != len(n) {
		t.Fatal("map length")
	}
	if in[st[1]:en[1]] != "\u00a0" || in[st[4]:en[4]] != "１" {
		t.Error("map")
	}
}

func TestPersons(t *testing.T) {
	p := NewPersons([]Person{
		{Name: "Kari Nordmann", Aliases: []string{"Kiki"}},
		{Name: "Jørgen Åsmund Sæther"},
		{Name: "Björn Lindström"},
	})
	cases := []struct{ text, want, rule string }{
		{"Saken gjelder Kari Nordmann.", "Kari Nordmann", "person.name"},
		{"Kari Nordmanns søknad", "Kari Nordmanns", "person.name.genitive"},
		{"K. Nordmann skrev", "K. Nordmann", "person.initials"},
		{"Nordmann, Kari", "Nordmann, Kari", "person.reversed"},
		{"kalt Kiki av vennene", "Kiki", "person.alias.name"},
		{"Joergen Aasmund Saether", "Joergen Aasmund Saether", "person.name"},
		{"Jorgen Sather møtte", "Jorgen Sather", "person.name"},
		{"Bjoern Lindstroem", "Bjoern Lindstroem", "person.name"},
		{"Bjørn Lindstrøm", "Bjørn Lindstrøm", "person.name"},
		{"e-post kari.nordmann@example.no", "kari.nordmann", "person.name.email"},
		{"e-post knordmann@example.no", "knordmann", "person.concat.email"},
		{"Nordmann sa", "Nordmann", "person.surname"},
		{"en nordmann sa", "", ""},
		{"Kari\nNordmann", "Kari\nNordmann", "person.name"},
	}
	for _, c := range cases {
		expect(t, p, c.text, c.want, c.rule)
	}
}

func TestLists(t *testing.T) {
	l, err := LoadLists("testdata/lists")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ text, want, rule string }{
		{"bodde på Hvalstad asylmottak i to år", "Hvalstad asylmottak", "list.institutions"},
		{"flyttet til Aalesund", "Aalesund", "list.places"},
		{"flyttet til Ålesund", "Ålesund", "list.places"},
		{"fra Sør-Varanger", "Sør-Varanger", "list.places"},
		{"Per Olav Hansen", "Per Olav Hansen", "list.names"},
		{"hvalstad", "", ""},
	}
	for _, c := range cases {
		expect(t, l, c.text, c.want, c.rule)
	}
	if got := scanOne(t, l, "Hvalstad"); len(got) != 1 || got[0].Type != TypeLocation {
		t.Errorf("type: %+v", got)
	}
}

func TestCueWords(t *testing.T) {
	cases := []struct{ text, want, typ string }{
		{"Klager Ola Nordmann mener", "Ola Nordmann", TypePerson},
		{"varsleren, Per Hansen, sa", "Per Hansen", TypePerson},
		{"Ansøgeren Mette Frederiksen", "Mette Frederiksen", TypePerson},
		{"sökande: Anna Svensson", "Anna Svensson", TypePerson},
		{"the complainant John Smith said", "John Smith", TypePerson},
		{"han er bosatt i Tromsø.", "Tromsø", TypeLocation},
		{"hun bor i Malmö nu", "Malmö", TypeLocation},
		{"born in Kabul", "Kabul", TypeLocation},
		{"Saken ble sendt til Oslo politidistrikt", "Oslo politidistrikt", TypeOrganization},
		{"innlagt på Haukeland universitetssykehus", "Haukeland universitetssykehus", TypeOrganization},
		{"sonet i Ila fengsel", "Ila fengsel", TypeOrganization},
		{"Bergen tingrett avsa dom", "Bergen tingrett", TypeOrganization},
		{"bodde på Hvalstad mottak", "Hvalstad mottak", TypeOrganization},
		{"indlagt på Rigshospitalet", "Rigshospitalet", TypeOrganization},
		{"dømt av Københavns Byret", "Københavns Byret", TypeOrganization},
		{"Vestre Fængsel", "Vestre Fængsel", TypeOrganization},
		{"Göteborgs tingsrätt", "Göteborgs tingsrätt", TypeOrganization},
		{"treated at Oslo University Hospital", "Oslo University Hospital", TypeOrganization},
		{"På sykehus var hun", "", ""},
		{"klager mener dette", "", ""},
	}
	for _, c := range cases {
		fs := Merge(scanOne(t, CueWords{}, c.text))
		ok := c.want == "" && len(fs) == 0
		for _, f := range fs {
			if f.Text == c.want && f.Type == c.typ {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%q: want %q %s, got %+v", c.text, c.want, c.typ, fs)
		}
	}
}

func TestMerge(t *testing.T) {
	fs := Merge([]Finding{
		{Type: "A", Start: 0, End: 10, Score: 0.5},
		{Type: "B", Start: 5, End: 8, Score: 0.9},
		{Type: "C", Start: 10, End: 12, Score: 0.1},
		{Type: "D", Start: 11, End: 20, Score: 0.1},
	})
	var types []string
	for _, f := range fs {
		types = append(types, f.Type)
	}
	if !slices.Equal(types, []string{"B", "D"}) {
		t.Errorf("merge: %v", types)
	}
}

func TestExternalDetector(t *testing.T) {
	e := New(badDetector{})
	fs := e.Scan("ææ abc")
	if len(fs) != 1 || fs[0].Text != "abc" || fs[0].Score != 1 {
		t.Errorf("sanitize: %+v", fs)
	}
}

type badDetector struct{}

func (badDetector) Name() string { return "bad" }
func (badDetector) Detect(string) []Finding {
	return []Finding{{Start: 1, End: 3}, {Start: -1, End: 2}, {Start: 5, End: 8, Score: 7}, {Start: 6, End: 100}}
}

func checkFindings(t *testing.T, text string, fs []Finding) {
	t.Helper()
	bound := make([]bool, len(text)+1)
	for i := range text {
		bound[i] = true
	}
	bound[len(text)] = true
	prevEnd := 0
	for _, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("bad span %+v in %q", f, text)
		}
		if !bound[f.Start] || !bound[f.End] {
			t.Fatalf("span not on rune boundary %+v in %q", f, text)
		}
		if f.Text != text[f.Start:f.End] {
			t.Fatalf("Text mismatch %+v", f)
		}
		if f.Start < prevEnd {
			t.Fatalf("overlap or unsorted at %+v", f)
		}
		if f.Score < 0 || f.Score > 1 || f.Type == "" || f.Rule == "" {
			t.Fatalf("bad finding %+v", f)
		}
		prevEnd = f.End
	}
}

var fuzzEngine = Default().With(
	NewPersons([]Person{{Name: "Kari Nordmann", Aliases: []string{"Kiki"}}, {Name: "Åse Sørli"}}),
	func() *Lists { l := &Lists{}; l.Add(TypeLocation, "list.places", "Hvalstad", "Ålesund"); return l }(),
)

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"Klager Kari Nordmann, fnr 02013299997, bor i Ålesund.",
		"CPR 010190-2345 \u00a0 tlf +45 22 33 44 55 ＮＯ９３８６０１１１１７９４７",
		"131052-308T kari.nordmann@example.no født 3. mars 1984",
		"\xff\xfe0201329\u200b9997\n12",
		"Haukeland universitetssykehus, Oslo politidistrikt, 19811218-9876",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFindings(t, s, fuzzEngine.Scan(s))
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("a\u00a0b\u200bc１２-\u2013x\xffy")
	f.Add("Åse Sørli ﬁ ẞ İ")
	f.Fuzz(func(t *testing.T, s string) {
		n, st, en := Normalize(s)
		if len(st) != len(n) || len(en) != len(n) {
			t.Fatal("map length")
		}
		bound := make([]bool, len(s)+1)
		for i := range s {
			bound[i] = true
		}
		bound[len(s)] = true
		prev := 0
		for i := range n {
			if st[i] < prev || st[i] >= en[i] || en[i] > len(s) || !bound[st[i]] || !bound[en[i]] {
				t.Fatalf("bad map at %d: %d-%d", i, st[i], en[i])
			}
			prev = st[i]
		}
		if !utf8.ValidString(n) {
			t.Fatal("normalized text is not valid UTF-8")
		}
		fo := foldString(n)
		for i := range fo.s {
			if fo.nstart[i] >= fo.ne[i] || fo.ne[i] > len(n) {
				t.Fatal("fold map")
			}
		}
	})
}
