package totp

import (
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"
)

var rfcSecret = []byte("12345678901234567890")

// RFC 6238 Appendix B, SHA-1 column.
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestRFC6238Vectors8Digits(t *testing.T) {
	for _, v := range rfcVectors {
		if got := hotp(rfcSecret, timeStep(time.Unix(v.unix, 0)), 8); got != v.code {
			t.Errorf("t=%d: got %s, want %s", v.unix, got, v.code)
		}
	}
}

func TestCodeIsLastSixDigitsOfRFCVectors(t *testing.T) {
	for _, v := range rfcVectors {
		want := v.code[2:]
		if got := Code(rfcSecret, time.Unix(v.unix, 0)); got != want {
			t.Errorf("t=%d: got %s, want %s", v.unix, got, want)
		}
	}
}

func TestCodeIsZeroPadded(t *testing.T) {
	// 07081804 → 081804 keeps its leading zero.
	if got := Code(rfcSecret, time.Unix(1111111109, 0)); got != "081804" {
		t.Fatalf("got %q", got)
	}
}

func TestVerifyWindow(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	cur := timeStep(now)
	tests := []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"current step", 0, true},
		{"previous step", -30 * time.Second, true},
		{"next step", 30 * time.Second, true},
		{"two steps back", -60 * time.Second, false},
		{"two steps ahead", 60 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			codeTime := now.Add(tt.offset)
			s, ok := Verify(secret, Code(secret, codeTime), now, 0)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && s != timeStep(codeTime) {
				t.Fatalf("step = %d, want %d (current %d)", s, timeStep(codeTime), cur)
			}
		})
	}
}

func TestVerifyRefusesReplay(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	code := Code(secret, now)
	s, ok := Verify(secret, code, now, 0)
	if !ok {
		t.Fatal("first use refused")
	}
	if _, ok := Verify(secret, code, now, s); ok {
		t.Fatal("same code accepted twice")
	}
	if _, ok := Verify(secret, code, now.Add(20*time.Second), s); ok {
		t.Fatal("same code accepted again later in the window")
	}
	// An older code, still inside the window, is refused after a newer one.
	if _, ok := Verify(secret, Code(secret, now.Add(-30*time.Second)), now, s); ok {
		t.Fatal("older code accepted after a newer one")
	}
	// The next step's code is still accepted.
	next := now.Add(30 * time.Second)
	if s2, ok := Verify(secret, Code(secret, next), next, s); !ok || s2 != s+1 {
		t.Fatalf("next code: step %d ok %v", s2, ok)
	}
}

func TestVerifyRefusesMalformedCodes(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	code := Code(secret, now)
	tests := []struct{ name, code string }{
		{"empty", ""},
		{"five digits", code[:5]},
		{"seven digits", code + "0"},
		{"letter", code[:5] + "a"},
		{"space inside", code[:3] + " " + code[3:]},
		{"leading sign", "+" + code[1:]},
		{"full-width digit", code[:5] + "\uff10"},
		{"wrong code", wrongCode(code)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := Verify(secret, tt.code, now, 0); ok {
				t.Fatalf("Verify accepted %q", tt.code)
			}
		})
	}
}

func wrongCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestVerifyWithWrongSecret(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	if _, ok := Verify(NewSecret(), Code(NewSecret(), now), now, 0); ok {
		t.Fatal("code from another secret accepted (or a 1-in-10^6 collision)")
	}
}

func TestNewSecretAndEncode(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != 20 || string(a) == string(b) {
		t.Fatal("NewSecret is not 20 random bytes")
	}
	enc := EncodeSecret(rfcSecret)
	if enc != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("EncodeSecret = %q", enc)
	}
	if strings.Contains(EncodeSecret([]byte{1, 2, 3}), "=") {
		t.Fatal("EncodeSecret pads")
	}
	dec, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(EncodeSecret(a))
	if err != nil || string(dec) != string(a) {
		t.Fatal("EncodeSecret does not round trip")
	}
}

func TestURI(t *testing.T) {
	got := URI("Varsel", "alice@example.org", rfcSecret)
	want := "otpauth://totp/Varsel:alice@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Varsel&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Fatalf("URI =\n %s\nwant\n %s", got, want)
	}
}

func TestURIEscapesAwkwardNames(t *testing.T) {
	issuer, account := "Acme & Co: Ethics/Line?", "bob smith:x#1"
	got := URI(issuer, account, rfcSecret)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("scheme/host = %q/%q", u.Scheme, u.Host)
	}
	label := strings.TrimPrefix(u.EscapedPath(), "/")
	if strings.Count(label, ":") != 1 {
		t.Fatalf("label %q has ambiguous colons", label)
	}
	if strings.Contains(label, "/") {
		t.Fatalf("label %q has a slash", label)
	}
	parts := strings.SplitN(label, ":", 2)
	gotIssuer, _ := url.PathUnescape(parts[0])
	gotAccount, _ := url.PathUnescape(parts[1])
	if gotIssuer != issuer || gotAccount != account {
		t.Fatalf("label decodes to %q, %q", gotIssuer, gotAccount)
	}
	q := u.Query()
	if q.Get("issuer") != issuer || q.Get("secret") != EncodeSecret(rfcSecret) || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("query decodes to %v", q)
	}
	if strings.Contains(u.RawQuery, "+") {
		t.Fatalf("query %q encodes spaces as '+'", u.RawQuery)
	}
}
