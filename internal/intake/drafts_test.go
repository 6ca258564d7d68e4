package intake

import (
	"testing"

	"github.com/varsel/varsel/internal/scrub"
)

func TestRenameToNewKind(t *testing.T) {
	for in, want := range map[string]string{"scan.webp": "scan.png", "a.b.TIFF": "a.b.png", "noext": "noext.png", ".webp": "file.png"} {
		if got := renameTo(in, scrub.KindPNG); got != want {
			t.Errorf("renameTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileCheckDefaults(t *testing.T) {
	cases := []struct {
		c       FileCheck
		reveals bool
		def     string
	}{
		{FileCheck{Kind: scrub.KindOther, Problem: ProblemUnsupported}, false, ChoiceRemove},
		{FileCheck{Kind: scrub.KindPDF, Problem: ProblemUnsupported, Fields: []scrub.Field{{Name: scrub.FieldAuthor}}}, true, ChoiceRemove},
		{FileCheck{Kind: scrub.KindJPEG, Cleanable: true, Fields: []scrub.Field{{Name: scrub.FieldGPS}}}, true, ChoiceStrip},
		{FileCheck{Kind: scrub.KindJPEG, Problem: ProblemMalformed}, true, ChoiceRemove},
		{FileCheck{Kind: scrub.KindPNG, Cleanable: true}, false, ChoiceStrip},
	}
	for i, c := range cases {
		if c.c.Reveals() != c.reveals || c.c.Default() != c.def {
			t.Errorf("%d: Reveals %v Default %q", i, c.c.Reveals(), c.c.Default())
		}
	}
}
