package web

import (
	"io"
	"io/fs"
	"log/slog"
	"testing"

	"github.com/varsel/varsel/internal/i18n"
)

// Pages are parsed on first use, so a broken template would otherwise only
// show when somebody opens that page.
func TestEveryPageTemplateParses(t *testing.T) {
	p := testPages(t)
	for _, name := range pageNames {
		tmpl, err := p.template(name)
		if err != nil {
			t.Errorf("page %s: %v", name, err)
			continue
		}
		if tmpl.Lookup("layout") == nil {
			t.Errorf("page %s has no layout", name)
		}
	}
}

// A template file that no page parses is dead text that still looks live.
func TestEveryTemplateFileBelongsToAPage(t *testing.T) {
	used := map[string]bool{}
	for _, name := range pageNames {
		tmpl, err := parsePage(name)
		if err != nil {
			t.Fatalf("page %s: %v", name, err)
		}
		for _, d := range tmpl.Templates() {
			used[d.Name()] = true
		}
		used[name+".html"] = true
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !used[e.Name()] {
			t.Errorf("templates/%s is parsed by no page", e.Name())
		}
	}
}

func TestUnknownPageIsAnError(t *testing.T) {
	p := testPages(t)
	if _, err := p.template("no-such-page"); err == nil {
		t.Fatal("an unknown page parsed")
	}
}

func testPages(t *testing.T) *pages {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPages(cat, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
