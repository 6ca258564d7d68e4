package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/store"
)

// How an organisation receives reports (RC-1, RC-6): whether anonymous
// reports are accepted, and what the public page on the internal and
// external reporting channels says. Stored as one JSON value in
// org_settings; it is configuration an admin chose, never report content.

// SettingReporting is the org_settings key of the Reporting value.
const SettingReporting = "public.reporting"

// Jurisdictions whose external channels Varsel knows.
const (
	JurisdictionDK = "dk"
	JurisdictionNO = "no"
	JurisdictionEU = "eu"
)

// Jurisdictions lists the known jurisdictions in display order.
var Jurisdictions = []string{JurisdictionDK, JurisdictionNO, JurisdictionEU}

// Languages of the admin's channel text; the same as the catalogs.
var reportingLangs = []string{"en", "da", "nb"}

// MaxChannelInfoLen bounds the admin's text per language, in characters.
const MaxChannelInfoLen = 5000

// ErrInvalidReporting rejects a malformed reporting setting.
var ErrInvalidReporting = errors.New("invalid reporting settings: the jurisdiction must be dk, no or eu; " +
	"texts only in en, da or nb, of at most 5000 characters of plain text")

// Reporting is an organisation's reporting policy.
type Reporting struct {
	// AnonymousAllowed: when false, a report must carry the identity
	// answers (a name and a way to make contact). Directive 2019/1937
	// art. 6(2) leaves this to national law and the organisation.
	AnonymousAllowed bool `json:"anonymous_allowed"`
	// Jurisdiction chooses the external channels listed on the public
	// information page.
	Jurisdiction string `json:"jurisdiction"`
	// ChannelInfo is the admin's own text for that page per language:
	// plain text, never HTML; web addresses in it become links.
	ChannelInfo map[string]string `json:"channel_info,omitempty"`
}

// DefaultReporting accepts anonymous reports (the safer default for the
// whistleblower) and picks the jurisdiction from the time zone the
// organisation counts its deadlines in.
func DefaultReporting(timeZone string) Reporting {
	j := JurisdictionEU
	switch timeZone {
	case "Europe/Copenhagen", "Atlantic/Faroe", "America/Nuuk":
		j = JurisdictionDK
	case "Europe/Oslo", "Arctic/Longyearbyen":
		j = JurisdictionNO
	}
	return Reporting{AnonymousAllowed: true, Jurisdiction: j}
}

// LoadReporting returns the tenant's reporting policy, or the default
// when an admin never set one.
func LoadReporting(ctx context.Context, db *store.DB, tenantID string) (Reporting, error) {
	raw, ok, err := db.Setting(ctx, tenantID, SettingReporting)
	if err != nil {
		return Reporting{}, err
	}
	if !ok {
		t, err := db.Tenant(ctx, tenantID)
		if errors.Is(err, store.ErrNotFound) {
			// Before setup there is no organisation and no time zone to
			// guess a jurisdiction from; the landing page still answers.
			return DefaultReporting(""), nil
		}
		if err != nil {
			return Reporting{}, fmt.Errorf("org: reporting defaults: %w", err)
		}
		return DefaultReporting(t.TimeZone), nil
	}
	var r Reporting
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return Reporting{}, fmt.Errorf("org: reporting setting: %w", err)
	}
	if !slices.Contains(Jurisdictions, r.Jurisdiction) {
		r.Jurisdiction = JurisdictionEU
	}
	return r, nil
}

// CheckReporting validates and cleans a reporting policy: texts are
// trimmed, line breaks made LF, empty texts dropped.
func CheckReporting(r Reporting) (Reporting, error) {
	if !slices.Contains(Jurisdictions, r.Jurisdiction) {
		return Reporting{}, ErrInvalidReporting
	}
	out := Reporting{AnonymousAllowed: r.AnonymousAllowed, Jurisdiction: r.Jurisdiction}
	for lang, text := range r.ChannelInfo {
		if !slices.Contains(reportingLangs, lang) || !utf8.ValidString(text) {
			return Reporting{}, ErrInvalidReporting
		}
		text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"))
		if utf8.RuneCountInString(text) > MaxChannelInfoLen || strings.IndexFunc(text, badControl) >= 0 {
			return Reporting{}, ErrInvalidReporting
		}
		if text == "" {
			continue
		}
		if out.ChannelInfo == nil {
			out.ChannelInfo = map[string]string{}
		}
		out.ChannelInfo[lang] = text
	}
	return out, nil
}

func badControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }

// ExternalChannel is an authority to which a report can be made instead
// of, or after, the internal channel. Names and descriptions are catalog
// keys: "channels.ext.<Key>.name" and "channels.ext.<Key>.desc".
type ExternalChannel struct {
	Key string
	URL string
}

// The national external channels (DK: whistleblowerloven § 13 ff.,
// Datatilsynet's external scheme; NO: arbeidsmiljøloven § 2 A-6, the
// supervisory authorities) and the EU bodies listed for every
// jurisdiction (Directive 2019/1937 art. 6(4)).
var (
	externalChannels = map[string][]ExternalChannel{
		JurisdictionDK: {
			{Key: "dk_datatilsynet", URL: "https://whistleblower.dk/"},
			{Key: "dk_finanstilsynet", URL: "https://www.finanstilsynet.dk/"},
		},
		JurisdictionNO: {
			{Key: "no_arbeidstilsynet", URL: "https://www.arbeidstilsynet.no/"},
			{Key: "no_datatilsynet", URL: "https://www.datatilsynet.no/"},
			{Key: "no_finanstilsynet", URL: "https://www.finanstilsynet.no/"},
			{Key: "no_okokrim", URL: "https://www.okokrim.no/"},
		},
	}
	euChannels = []ExternalChannel{
		{Key: "eu_olaf", URL: "https://anti-fraud.ec.europa.eu/"},
		{Key: "eu_eppo", URL: "https://www.eppo.europa.eu/"},
	}
)

// ExternalChannels lists the external channels of a jurisdiction, the
// national ones first, then the EU bodies.
func ExternalChannels(jurisdiction string) []ExternalChannel {
	return append(slices.Clone(externalChannels[jurisdiction]), euChannels...)
}

// Segment is a piece of the admin's text: plain text, or a web address
// that may be shown as a link.
type Segment struct {
	Text string
	URL  string // set for links: an http or https address
}

// Paragraphs splits plain text into paragraphs at blank lines and each
// paragraph into text and links. Only http and https addresses become
// links; everything else stays text, to be escaped by the page.
func Paragraphs(text string) [][]Segment {
	var out [][]Segment
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		out = append(out, segments(p))
	}
	return out
}

func segments(p string) []Segment {
	var out []Segment
	text := func(s string) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].URL == "" {
			out[n-1].Text += s
			return
		}
		out = append(out, Segment{Text: s})
	}
	for p != "" {
		i := linkStart(p)
		if i < 0 {
			text(p)
			break
		}
		text(p[:i])
		end := i + strings.IndexFunc(p[i:], func(r rune) bool { return unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' })
		if end < i {
			end = len(p)
		}
		// Punctuation closing a sentence is not part of the address.
		for end > i && strings.ContainsRune(".,;:!?)]'", rune(p[end-1])) {
			end--
		}
		addr := p[i:end]
		if u, err := url.Parse(addr); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			out = append(out, Segment{Text: addr, URL: u.String()})
		} else {
			text(addr)
		}
		p = p[end:]
		if end == i { // nothing consumed: keep going past the scheme
			text(p[:1])
			p = p[1:]
		}
	}
	return out
}

// linkStart finds the next "http://" or "https://", case-insensitively.
func linkStart(s string) int {
	l := strings.ToLower(s)
	a, b := strings.Index(l, "http://"), strings.Index(l, "https://")
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}
