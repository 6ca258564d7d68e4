package org

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParagraphsLinksOnlyWebAddresses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]Segment
	}{
		{"plain", "Call us.", [][]Segment{{{Text: "Call us."}}}},
		{"link with full stop", "See https://whistleblower.dk/.", [][]Segment{{{Text: "See "},
			{Text: "https://whistleblower.dk/", URL: "https://whistleblower.dk/"}, {Text: "."}}}},
		{"javascript stays text", "javascript:alert(1) <b>x</b>", [][]Segment{{{Text: "javascript:alert(1) <b>x</b>"}}}},
		{"no host stays text", "http:// x", [][]Segment{{{Text: "http:// x"}}}},
		{"paragraphs", "a\n\n\nb", [][]Segment{{{Text: "a"}}, {{Text: "b"}}}},
		{"quote ends link", `https://a.example/"onclick=x`, [][]Segment{{{Text: "https://a.example/", URL: "https://a.example/"},
			{Text: `"onclick=x`}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Paragraphs(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if len(got[i]) != len(tt.want[i]) {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
				for j := range got[i] {
					if got[i][j] != tt.want[i][j] {
						t.Errorf("got %q, want %q", got, tt.want)
					}
				}
			}
		})
	}
}

func TestCheckReportingRejectsBadInput(t *testing.T) {
	for name, r := range map[string]Reporting{
		"jurisdiction": {Jurisdiction: "se"},
		"language":     {Jurisdiction: "dk", ChannelInfo: map[string]string{"de": "x"}},
		"control":      {Jurisdiction: "dk", ChannelInfo: map[string]string{"en": "a\x00b"}},
		"too long":     {Jurisdiction: "dk", ChannelInfo: map[string]string{"en": strings.Repeat("x", MaxChannelInfoLen+1)}},
	} {
		if _, err := CheckReporting(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	got, err := CheckReporting(Reporting{Jurisdiction: "no", ChannelInfo: map[string]string{"en": " a\r\nb ", "da": "  "}})
	if err != nil || got.ChannelInfo["en"] != "a\nb" || len(got.ChannelInfo) != 1 {
		t.Errorf("got %+v, %v", got, err)
	}
}

// FuzzParagraphs: the text is kept whole (links included), and every
// link is an http(s) address.
func FuzzParagraphs(f *testing.F) {
	for _, s := range []string{"See https://x.dk/.", "http://", "HTTPS://A.B/c d", "a\n\nb http://x/\"<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var b strings.Builder
		for _, p := range Paragraphs(s) {
			for _, seg := range p {
				if seg.URL != "" && !strings.HasPrefix(seg.URL, "http://") && !strings.HasPrefix(seg.URL, "https://") {
					t.Fatalf("link %q", seg.URL)
				}
				b.WriteString(seg.Text)
			}
		}
		if strings.Join(strings.Fields(b.String()), "") != strings.Join(strings.Fields(s), "") {
			t.Fatalf("text changed: %q -> %q", s, b.String())
		}
	})
}
