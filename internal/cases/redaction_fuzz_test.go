package cases

import (
	"context"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

var labelRE = regexp.MustCompile(`\[[^\]]*\]`)

// FuzzTextRedactionRemovesManualValues: whatever the text and a value
// added by hand, rendering the copy never panics on the normalised offsets
// and leaves no occurrence of the value outside the labels it inserted;
// the release gate agrees unless the value is one of the label words.
func FuzzTextRedactionRemovesManualValues(f *testing.F) {
	f.Add("Kari Nordmann slo en kollega.\nKari\u00a0Nordmann nektet.", "kari nordmann")
	f.Add("Ring 912\u200b34 567 eller ＫＡＲＩ", "kari")
	f.Add("a-b a b a\u2011b", "a b")
	f.Add("[other 1] x", "other")
	f.Fuzz(func(t *testing.T, text, value string) {
		if !utf8.ValidString(text) || !utf8.ValidString(value) || blankValue(value) || len(value) > maxValueLen {
			t.Skip()
		}
		b := redactionBody{Text: true, Lang: "en", Values: []ManualValue{{ID: "v", Text: value}}}
		out, err := produce(context.Background(), b, []byte(text), nil)
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
		// Each stretch between labels is searched on its own: the letters
		// left on both sides of a label ("AA BB" less "A B" is "A[…]B")
		// are not the value, however the stretches would join.
		for _, part := range labelRE.Split(string(out.Data), -1) {
			norm, _, _ := detect.Normalize(part)
			if loc := valuePattern(value).FindStringIndex(norm); loc != nil {
				t.Fatalf("value %q left in %q", value, out.Data)
			}
		}
	})
}
