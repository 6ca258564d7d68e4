package i18n

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	return c
}

func TestLoadSucceedsWithIdenticalKeySetsInEveryLanguage(t *testing.T) {
	c := mustLoad(t)
	if len(c.Keys()) == 0 {
		t.Fatal("catalog has no keys")
	}
	want := c.Keys()
	for _, lang := range Supported {
		var got []string
		for k := range c.msgs[lang] {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys differ from en", lang)
		}
	}
}

func TestNoTextIsEmpty(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range Supported {
		for _, k := range c.Keys() {
			if strings.TrimSpace(c.msgs[lang][k]) == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
		}
	}
}

func TestFormatVerbsMatchEnglishInEveryLanguage(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range Supported {
		for _, k := range c.Keys() {
			if err := sameVerbs(c.msgs["en"][k], c.msgs[lang][k]); err != nil {
				t.Errorf("%s: %q: %v", lang, k, err)
			}
		}
	}
}

func TestEveryTextFormatsWithoutErrors(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range Supported {
		for _, k := range c.Keys() {
			vs, _ := verbs(c.msgs["en"][k])
			args := make([]any, 0, len(vs))
			for _, v := range vs {
				if v.char == 'd' {
					args = append(args, 3)
				} else {
					args = append(args, "x")
				}
			}
			if got := c.T(lang, k, args...); strings.Contains(got, "%!") {
				t.Errorf("%s: %q renders as %q", lang, k, got)
			}
		}
	}
}

func TestRequiredSiteTextsExist(t *testing.T) {
	c := mustLoad(t)
	for _, k := range []string{
		"site.name", "landing.intro", "landing.choose_channel", "privacy.title", "anonymity.tor",
		"form.submit", "form.error.summary_title", "form.error.required", "form.error.too_long",
		"form.error.invalid_option", "receipt.title", "receipt.once", "login.title",
		"report.status.received", "report.status.screening", "report.status.investigation",
		"report.status.closed", "report.logout", "report.logged_out", "error.not_found",
		"error.too_large", "error.bad_request", "error.too_many_attempts", "error.session_expired",
	} {
		if !c.Has(k) {
			t.Errorf("missing key %q", k)
		}
	}
}

func TestTranslates(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name string
		lang string
		key  string
		args []any
		want string
	}{
		{"english", "en", "receipt.title", nil, "Your report has been sent"},
		{"danish", "da", "receipt.title", nil, "Din indberetning er sendt"},
		{"bokmål", "nb", "receipt.title", nil, "Varselet ditt er sendt"},
		{"regional tag", "da-DK", "report.logout", nil, "Log ud"},
		{"nynorsk reader gets bokmål", "nn", "report.logout", nil, "Logg ut"},
		{"unsupported language falls back to English", "sv", "report.logout", nil, "Log out"},
		{"empty language falls back to English", "", "report.logout", nil, "Log out"},
		{"missing key returns the key", "da", "no.such.key", nil, "no.such.key"},
		{"arguments are formatted", "nb", "form.error.too_long", []any{500}, "Svaret ditt er for langt. Bruk maks 500 tegn."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.T(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

func TestKeysReturnsASortedCopy(t *testing.T) {
	c := mustLoad(t)
	keys := c.Keys()
	if !slices.IsSorted(keys) {
		t.Error("Keys() is not sorted")
	}
	keys[0] = "mutated"
	if c.Keys()[0] == "mutated" {
		t.Error("Keys() exposes internal state")
	}
}

func TestLoadRejectsInconsistentCatalogs(t *testing.T) {
	const good = `{"a": "A %d", "b": "B"}`
	tests := []struct {
		name   string
		da, nb string
		want   string
	}{
		{"missing key", good, `{"a": "A %d"}`, `missing key "b"`},
		{"extra key", good, `{"a": "A %d", "b": "B", "c": "C"}`, `extra key "c"`},
		{"empty text", good, `{"a": "A %d", "b": " "}`, "empty text"},
		{"different verb", good, `{"a": "A %s", "b": "B"}`, "format verbs"},
		{"missing verb", good, `{"a": "A", "b": "B"}`, "format verbs"},
		{"extra verb", `{"a": "A %d", "b": "B %s"}`, good, "format verbs"},
		{"dangling percent", `{"a": "A %d", "b": "B %"}`, good, "dangling"},
		{"non-string value", good, `{"a": "A %d", "b": 1}`, "not a string"},
		{"nested object", good, `{"a": "A %d", "b": {"c": "d"}}`, "not a string"},
		{"duplicate key", good, `{"a": "A %d", "b": "B", "b": "C"}`, "duplicate key"},
		{"not an object", good, `["a"]`, "not a JSON object"},
		{"syntax error", good, `{"a": `, "nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"locales/en.json": {Data: []byte(good)},
				"locales/da.json": {Data: []byte(tt.da)},
				"locales/nb.json": {Data: []byte(tt.nb)},
			}
			_, err := load(fsys)
			if err == nil {
				t.Fatal("load() = nil error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("load() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestLoadFailsWhenACatalogFileIsMissing(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.json": {Data: []byte(`{"a":"A"}`)},
		"locales/da.json": {Data: []byte(`{"a":"A"}`)},
	}
	if _, err := load(fsys); err == nil || !strings.Contains(err.Error(), "nb") {
		t.Errorf("load() = %v, want error about nb", err)
	}
}

func TestVerbsAllowReorderedArguments(t *testing.T) {
	tests := []struct {
		name        string
		en, other   string
		wantMatches bool
	}{
		{"same order", "%s has %d", "%s har %d", true},
		{"explicit reorder", "%s has %d", "%[2]d hos %[1]s", true},
		{"escaped percent ignored", "100%% of %d", "%d – 100 %%", true},
		{"width and flags ignored", "%5d", "%-5d", true},
		{"swapped verbs", "%s has %d", "%d har %s", false},
		{"argument used twice", "%s", "%[1]s %[1]s", true},
		{"argument missing", "%s %s", "%s", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sameVerbs(tt.en, tt.other)
			if (err == nil) != tt.wantMatches {
				t.Errorf("sameVerbs(%q, %q) = %v, want match %v", tt.en, tt.other, err, tt.wantMatches)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name     string
		explicit string
		accept   string
		want     string
	}{
		{"explicit choice wins over header", "nb", "da-DK,da;q=0.9", "nb"},
		{"explicit choice is case-insensitive", "DA", "", "da"},
		{"explicit regional tag", "da-DK", "", "da"},
		{"explicit unsupported falls back to header", "sv", "da", "da"},
		{"explicit garbage falls back to header", "../../etc", "nb-NO", "nb"},
		{"danish header", "", "da-DK,da;q=0.9", "da"},
		{"nynorsk maps to bokmål", "", "nn-NO", "nb"},
		{"generic norwegian maps to bokmål", "", "no", "nb"},
		{"bokmål", "", "nb", "nb"},
		{"swedish falls back to english", "", "sv", "en"},
		{"garbage falls back to english", "", ";;;,,,=q=", "en"},
		{"empty header gives english", "", "", "en"},
		{"quality decides", "", "en;q=0.5, da;q=0.8", "da"},
		{"first of equal quality wins", "", "nb, da", "nb"},
		{"unsupported preferred language is skipped", "", "sv-SE,sv;q=0.9,nb;q=0.8,en;q=0.7", "nb"},
		{"q=0 means not acceptable", "", "da;q=0", "en"},
		{"malformed quality is ignored", "", "da;q=abc, nb;q=0.1", "nb"},
		{"quality above one is ignored", "", "da;q=2, nb;q=0.1", "nb"},
		{"whitespace and upper case", "", "  DA-dk ; q=0.7 ", "da"},
		{"wildcard alone gives english", "", "*", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.explicit, tt.accept); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.explicit, tt.accept, got, tt.want)
			}
		})
	}
}

func TestNegotiateBoundsWorkOnHugeHeaders(t *testing.T) {
	header := strings.Repeat("xx;q=0.1,", 10000) + "da"
	if got := Negotiate("", header); got != "en" {
		t.Errorf("Negotiate(huge header) = %q, want en (entries after the limit ignored)", got)
	}
}

func TestNameGivesEachLanguageItsOwnName(t *testing.T) {
	tests := []struct{ lang, want string }{
		{"en", "English"},
		{"da", "Dansk"},
		{"nb", "Norsk bokmål"},
		{"xx", "xx"},
	}
	for _, tt := range tests {
		if got := Name(tt.lang); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}
	for _, l := range Supported {
		if Name(l) == l {
			t.Errorf("supported language %q has no name", l)
		}
	}
}

func ExampleCatalog_T() {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	fmt.Println(c.T(Negotiate("", "da-DK,da;q=0.9"), "form.error.too_long", 500))
	// Output: Dit svar er for langt. Brug højst 500 tegn.
}

// The fast catalog parser must accept and reject exactly what the strict
// token walk does, duplicates included.
func FuzzParseCatalogAgreesWithStrictParse(f *testing.F) {
	for _, s := range []string{
		`{"a": "A %d", "b": "B"}`, `{"a": "A", "a": "B"}`, `{"a\"": "x", "a\\": "y"}`,
		`{"k": "v\\"}`, `null`, `{}`, `["a"]`, `{"a": 1}`, `{"a": "b"} x`, "{\"\xff\": \"\xfe\"}",
		`{"\u0061": "x", "a": "y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, fastErr := parseCatalog(raw)
		strict, strictErr := parseCatalogStrict(raw)
		if (fastErr == nil) != (strictErr == nil) {
			t.Fatalf("fast error %v, strict error %v", fastErr, strictErr)
		}
		if fastErr == nil && !maps.Equal(fast, strict) {
			t.Fatalf("fast %v, strict %v", fast, strict)
		}
	})
}
