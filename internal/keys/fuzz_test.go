package keys

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseReceipt(f *testing.F) {
	for _, s := range []string{"", "7K3M 9QXA 2B4T HV0P", "7k3m-9qxa-2b4t-hvop", "\uff17K3M\u200b9QXA\u00a02B4THV0P", "U", NewReceipt()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseReceipt(s)
		if err == nil {
			if len(got) != receiptChars {
				t.Fatalf("ParseReceipt(%q) = %q: not 16 characters", s, got)
			}
			for _, c := range got {
				if strings.IndexByte(crockford, c) < 0 {
					t.Fatalf("ParseReceipt(%q) = %q: non-canonical character", s, got)
				}
			}
			// Parsing is idempotent on the canonical form.
			if again, err := ParseReceipt(string(got)); err != nil || string(again) != string(got) {
				t.Fatalf("canonical %q does not parse to itself", got)
			}
		}
		r := NewReceipt()
		c, err := ParseReceipt(r)
		if err != nil || string(c) != strings.ReplaceAll(r, " ", "") {
			t.Fatalf("NewReceipt %q parsed to %q, %v", r, c, err)
		}
	})
}

func FuzzOpen(f *testing.F) {
	var key Key
	ad := AD("t", "f")
	f.Add(Seal(key, []byte("hello"), ad), []byte("t"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte{})
	f.Add(make([]byte, 41), []byte{})
	f.Fuzz(func(t *testing.T, sealed, adExtra []byte) {
		pt, err := Open(key, sealed, append(bytes.Clone(ad), adExtra...))
		if err != nil && pt != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}

func FuzzParseRecoveryKey(f *testing.F) {
	d, _ := NewRecoveryKey()
	for _, s := range []string{"", d, strings.ToLower(d), strings.ReplaceAll(d, "-", "")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseRecoveryKey(s)
		if err != nil {
			return
		}
		// Any accepted text has a canonical form that gives the same key.
		c, ok := normalizeTyped(s)
		if !ok {
			t.Fatalf("accepted %q but it does not normalise", s)
		}
		k2, err := ParseRecoveryKey(groups(c, "-"))
		if err != nil || k2 != k {
			t.Fatalf("regrouped %q parses differently", s)
		}
	})
}
