// Package i18n holds the translated texts of the public site and picks the
// reader's language.
//
// Catalogs are flat JSON objects (key → text) embedded from locales/. Texts
// may contain fmt verbs such as %s and %d; T formats them with fmt.Sprintf.
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Supported lists the catalog languages; the first is the fallback.
var Supported = []string{"en", "da", "nb"}

const fallback = "en"

//go:embed locales/*.json
var locales embed.FS

// Catalog holds the messages of every supported language. It is read-only
// after Load and safe for concurrent use.
type Catalog struct {
	msgs map[string]map[string]string
	keys []string
}

// Load parses the embedded catalogs. It fails if any catalog is malformed,
// has an empty text, lacks a key that English has, has a key English lacks,
// or uses different fmt verbs than English for a key. Failing at start-up
// is deliberate: a mistranslated verb would otherwise show garbage such as
// "%!d(string=…)" to a whistleblower.
func Load() (*Catalog, error) {
	return load(locales)
}

func load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: make(map[string]map[string]string, len(Supported))}
	for _, lang := range Supported {
		raw, err := fs.ReadFile(fsys, "locales/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: load %s: %w", lang, err)
		}
		m, err := parseCatalog(raw)
		if err != nil {
			return nil, fmt.Errorf("i18n: load %s: %w", lang, err)
		}
		c.msgs[lang] = m
	}

	en := c.msgs[fallback]
	for k := range en {
		c.keys = append(c.keys, k)
	}
	sort.Strings(c.keys)

	var errs []error
	for _, lang := range Supported {
		m := c.msgs[lang]
		for _, k := range c.keys {
			v, ok := m[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: missing key %q", lang, k))
				continue
			}
			if strings.TrimSpace(v) == "" {
				errs = append(errs, fmt.Errorf("%s: empty text for %q", lang, k))
				continue
			}
			if lang == fallback {
				if _, err := verbs(v); err != nil {
					errs = append(errs, fmt.Errorf("%s: key %q: %w", lang, k, err))
				}
				continue
			}
			if err := sameVerbs(en[k], v); err != nil {
				errs = append(errs, fmt.Errorf("%s: key %q: %w", lang, k, err))
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				errs = append(errs, fmt.Errorf("%s: extra key %q not in %s", lang, k, fallback))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("i18n: inconsistent catalogs: %w", err)
	}
	return c, nil
}

// parseCatalog decodes a flat object of strings. It rejects duplicate keys,
// which json.Unmarshal would silently resolve to the last one, hiding a
// translator's mistake.
//
// json.Unmarshal is about twice as fast as walking the tokens, and the
// catalogs are read on every start (cold start is a budget, see
// docs/benchmarks.md). A valid flat object holds exactly two strings per
// key occurrence, so counting strings finds a duplicate without a second
// parse; only a broken catalog takes the slow path, which names the fault.
func parseCatalog(raw []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil || m == nil || countStrings(raw) != 2*len(m) {
		return parseCatalogStrict(raw)
	}
	return m, nil
}

// countStrings counts the string literals in valid JSON.
func countStrings(raw []byte) int {
	n := 0
	in := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case in && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			if !in {
				n++
			}
			in = !in
		}
	}
	return n
}

// parseCatalogStrict walks the tokens so that a broken catalog gets a
// precise error.
func parseCatalogStrict(raw []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("catalog is not a JSON object")
	}
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("malformed object key")
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, err
		}
		val, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("key %q: value is not a string", key)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		m[key] = val
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after catalog object")
	}
	return m, nil
}

// T returns the text for key in lang, falling back to English. A missing key
// returns the key itself, so a forgotten translation is visible on the page
// and in tests instead of rendering as an empty string.
//
// The text is always passed through fmt.Sprintf when it contains '%', so
// "%%" renders as "%" whether or not args are given.
func (c *Catalog) T(lang, key string, args ...any) string {
	v, ok := c.msgs[match(lang)][key]
	if !ok {
		v, ok = c.msgs[fallback][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 && strings.IndexByte(v, '%') < 0 {
		return v
	}
	return fmt.Sprintf(v, args...)
}

// Has reports whether key exists in the catalogs.
func (c *Catalog) Has(key string) bool {
	_, ok := c.msgs[fallback][key]
	return ok
}

// Keys returns every message key in sorted order.
func (c *Catalog) Keys() []string {
	return slices.Clone(c.keys)
}

// match maps a language tag to a supported language, or "" if none fits.
// Norwegian is offered only as bokmål, and a Nynorsk or generic Norwegian
// reader understands bokmål far better than the English fallback.
func match(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	switch strings.ToLower(tag) {
	case "en":
		return "en"
	case "da":
		return "da"
	case "nb", "nn", "no":
		return "nb"
	}
	return ""
}

// maxAcceptEntries bounds the work spent on a hostile Accept-Language header.
const maxAcceptEntries = 32

// Negotiate picks the language for a request. An explicit choice (the "lang"
// query or form value) wins if supported; otherwise the supported language
// with the highest quality in the Accept-Language header, earlier entries
// winning ties; otherwise English.
func Negotiate(explicit, acceptLanguage string) string {
	if l := match(explicit); l != "" {
		return l
	}
	best, bestQ := "", 0.0
	entries := strings.SplitN(acceptLanguage, ",", maxAcceptEntries+1)
	if len(entries) > maxAcceptEntries {
		entries = entries[:maxAcceptEntries]
	}
	for _, entry := range entries {
		tag, params, _ := strings.Cut(entry, ";")
		l := match(tag)
		if l == "" {
			continue
		}
		q, ok := quality(params)
		if !ok || q <= bestQ {
			continue
		}
		best, bestQ = l, q
	}
	if best == "" {
		return fallback
	}
	return best
}

// quality parses the parameters after a language range. A missing q means
// 1; a malformed one makes the entry unusable rather than guessing.
func quality(params string) (float64, bool) {
	params = strings.TrimSpace(params)
	if params == "" {
		return 1, true
	}
	name, value, ok := strings.Cut(params, "=")
	if !ok || strings.TrimSpace(strings.ToLower(name)) != "q" {
		return 0, false
	}
	q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || q < 0 || q > 1 {
		return 0, false
	}
	return q, true
}

// Name returns a language's name in that language, for a language switcher
// that a reader can recognise even if they cannot read the current page.
func Name(lang string) string {
	switch match(lang) {
	case "en":
		return "English"
	case "da":
		return "Dansk"
	case "nb":
		return "Norsk bokmål"
	}
	return lang
}
