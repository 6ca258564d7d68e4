package eval

import (
	"testing"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

func TestCorpusDeterministicAndWellFormed(t *testing.T) {
	a, b := Generate(7, 50), Generate(7, 50)
	for i := range a {
		if a[i].Text != b[i].Text {
			t.Fatal("not deterministic")
		}
		if !utf8.ValidString(a[i].Text) {
			t.Fatal("invalid UTF-8")
		}
		for _, g := range a[i].Gold {
			if g.Start < 0 || g.End > len(a[i].Text) || g.Start >= g.End {
				t.Fatalf("bad span %+v", g)
			}
		}
	}
}

func TestScoreFloor(t *testing.T) {
	r := Score(detect.Default(), Generate(1, 200))
	for typ, c := range r.PerType {
		if c.Recall() < 0.8 {
			t.Errorf("%s recall %.3f", typ, c.Recall())
		}
	}
}
