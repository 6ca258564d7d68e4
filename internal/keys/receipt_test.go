package keys

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNewReceiptFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		r := NewReceipt()
		groups := strings.Split(r, " ")
		if len(groups) != 4 {
			t.Fatalf("%q is not 4 groups", r)
		}
		for _, g := range groups {
			if len(g) != 4 {
				t.Fatalf("%q has a group of length %d", r, len(g))
			}
			for _, c := range g {
				if !strings.ContainsRune(crockford, c) {
					t.Fatalf("%q contains %q outside the alphabet", r, c)
				}
			}
		}
		canon, err := ParseReceipt(r)
		if err != nil || string(canon) != strings.ReplaceAll(r, " ", "") {
			t.Fatalf("ParseReceipt(%q) = %q, %v", r, canon, err)
		}
		if seen[r] {
			t.Fatalf("duplicate receipt %q", r)
		}
		seen[r] = true
	}
}

func TestReceiptCarries80Bits(t *testing.T) {
	// 16 characters of a 32-symbol alphabet are exactly 80 bits, and each
	// decodes back to 10 bytes.
	canon := strings.ReplaceAll(NewReceipt(), " ", "")
	raw, err := crockfordEnc.DecodeString(canon)
	if err != nil || len(raw)*8 != 80 {
		t.Fatalf("decoded %d bytes, err %v", len(raw), err)
	}
}

func TestParseReceiptTolerance(t *testing.T) {
	const want = "7K3M9QXA2B4THV0P"
	tests := []struct{ name, in string }{
		{"canonical", "7K3M9QXA2B4THV0P"},
		{"display form", "7K3M 9QXA 2B4T HV0P"},
		{"lower case", "7k3m 9qxa 2b4t hv0p"},
		{"dashes", "7K3M-9QXA-2B4T-HV0P"},
		{"dots and tabs", "7K3M.9QXA\t2B4T HV0P"},
		{"leading and trailing spaces", "  7K3M9QXA2B4THV0P \t"},
		{"no-break spaces", "7K3M\u00a09QXA\u00a02B4T\u00a0HV0P"},
		{"zero-width spaces", "7K3M\u200b9QXA2B4T\u200bHV0P\u200b"},
		{"en dash", "7K3M\u20139QXA\u20132B4T\u2013HV0P"},
		{"letter O for zero", "7K3M 9QXA 2B4T HVOP"},
		{"lower-case o for zero", "7K3M 9QXA 2B4T HVoP"},
		{"full-width characters", "\uff17\uff2b\uff13\uff2d\u3000\uff19\uff31\uff38\uff21\uff0d2B4T HV\uff10P"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReceipt(tt.in)
			if err != nil {
				t.Fatalf("ParseReceipt(%q): %v", tt.in, err)
			}
			if string(got) != want {
				t.Fatalf("ParseReceipt(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestParseReceiptMapsIAndLToOne(t *testing.T) {
	for _, in := range []string{"1111 2222 3333 4444", "IiLl 2222 3333 4444", "Il1L-2222-3333-4444"} {
		got, err := ParseReceipt(in)
		if err != nil || string(got) != "1111222233334444" {
			t.Errorf("ParseReceipt(%q) = %q, %v", in, got, err)
		}
	}
}

func TestParseReceiptRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"only separators", " - . "},
		{"15 characters", "7K3M 9QXA 2B4T HV0"},
		{"17 characters", "7K3M 9QXA 2B4T HV0PP"},
		{"letter U", "7K3M 9QXA 2B4T HVUP"},
		{"lower-case u", "7K3M 9QXA 2B4T HVuP"},
		{"punctuation", "7K3M_9QXA_2B4T_HV0P"},
		{"non-Latin letter", "7K3M 9QXA 2B4T HV\u041eP"},
		{"accented letter", "7K3M 9QXA 2B4T HV\u00c9P"},
		{"invalid UTF-8", "7K3M 9QXA 2B4T HV\xffP"},
		{"newline", "7K3M\n9QXA 2B4T HV0P"},
		{"very long input", strings.Repeat(" ", 1000) + "7K3M9QXA2B4THV0P"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReceipt(tt.in)
			if !errors.Is(err, ErrBadReceipt) || got != nil {
				t.Fatalf("ParseReceipt(%q) = %q, %v; want ErrBadReceipt", tt.in, got, err)
			}
		})
	}
}

func TestReceiptKeysDeterministicAndSensitiveToEveryInput(t *testing.T) {
	k := NewKDF(0)
	ctx := context.Background()
	receipt, _ := ParseReceipt("7K3M 9QXA 2B4T HV0P")
	salt := []byte("tenant-salt-0001")
	pepper := []byte("pepper-pepper-pepper-pepper-0001")

	base, err := k.ReceiptKeys(ctx, receipt, salt, pepper, TestParams)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := k.ReceiptKeys(ctx, receipt, salt, pepper, TestParams)
	if !bytes.Equal(base.Lookup, again.Lookup) || base.Key != again.Key {
		t.Fatal("ReceiptKeys is not deterministic")
	}
	if len(base.Lookup) != 32 {
		t.Fatalf("lookup is %d bytes, want 32", len(base.Lookup))
	}
	if bytes.Equal(base.Lookup, base.Key[:]) {
		t.Fatal("lookup equals key")
	}

	otherReceipt, _ := ParseReceipt("7K3M 9QXA 2B4T HV0Q")
	variants := []struct {
		name                      string
		receipt, salt, pepper     []byte
		keyChanges, lookupChanges bool
	}{
		{"other receipt", otherReceipt, salt, pepper, true, true},
		{"other tenant salt", receipt, []byte("tenant-salt-0002"), pepper, true, true},
		// The pepper only keys the lookup; K_wb must not depend on a
		// config value that an operator might rotate.
		{"other pepper", receipt, salt, []byte("pepper-pepper-pepper-pepper-0002"), false, true},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			got, err := k.ReceiptKeys(ctx, v.receipt, v.salt, v.pepper, TestParams)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Key != base.Key) != v.keyChanges {
				t.Errorf("key changed = %v, want %v", got.Key != base.Key, v.keyChanges)
			}
			if !bytes.Equal(got.Lookup, base.Lookup) != v.lookupChanges {
				t.Errorf("lookup changed = %v, want %v", !bytes.Equal(got.Lookup, base.Lookup), v.lookupChanges)
			}
		})
	}
}

func TestReceiptKeysRejectsBadInputs(t *testing.T) {
	k := NewKDF(0)
	ctx := context.Background()
	good := []byte("7K3M9QXA2B4THV0P")
	salt := NewSalt()
	pepper := bytes.Repeat([]byte{1}, 32)
	tests := []struct {
		name                  string
		receipt, salt, pepper []byte
	}{
		{"display form instead of canonical", []byte("7K3M 9QXA 2B4T HV0P"), salt, pepper},
		{"lower case", []byte("7k3m9qxa2b4thv0p"), salt, pepper},
		{"short salt", good, salt[:8], pepper},
		{"empty pepper", good, salt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.ReceiptKeys(ctx, tt.receipt, tt.salt, tt.pepper, TestParams); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestRecoveryKeyRoundTrip(t *testing.T) {
	display, key := NewRecoveryKey()
	if len(strings.ReplaceAll(display, "-", "")) != 26 || strings.Count(display, "-") != 6 {
		t.Fatalf("display %q is not 26 characters in groups of 4", display)
	}
	tests := []struct{ name, in string }{
		{"as displayed", display},
		{"lower case", strings.ToLower(display)},
		{"spaces instead of dashes", strings.ReplaceAll(display, "-", " ")},
		{"no separators", strings.ReplaceAll(display, "-", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecoveryKey(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != key {
				t.Fatal("parsed key differs from the generated one")
			}
		})
	}
	other, _ := NewRecoveryKey()
	if k, _ := ParseRecoveryKey(other); k == key {
		t.Fatal("two recovery keys give the same sealing key")
	}
}

func TestParseRecoveryKeyRejects(t *testing.T) {
	display, _ := NewRecoveryKey()
	canon := strings.ReplaceAll(display, "-", "")
	// The last character holds 3 bits and 2 zero padding bits; a last
	// character with padding bits set is another text for the same key.
	last := strings.IndexByte(crockford, canon[25])
	nonCanonical := canon[:25] + string(crockford[last|1])
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"receipt length", "7K3M9QXA2B4THV0P"},
		{"one character short", canon[:25]},
		{"one character long", canon + "0"},
		{"letter U", "U" + canon[1:]},
		{"non-zero padding bits", nonCanonical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseRecoveryKey(tt.in); !errors.Is(err, ErrBadRecoveryKey) {
				t.Fatalf("ParseRecoveryKey(%q) error = %v, want ErrBadRecoveryKey", tt.in, err)
			}
		})
	}
}
