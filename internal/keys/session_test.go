package keys

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestSessionTokenIDAndKey(t *testing.T) {
	tok := NewSessionToken()
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
	}
	id, err := SessionID(tok)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
		t.Fatalf("ID %q is not hex SHA-256", id)
	}
	if strings.Contains(id, tok) {
		t.Fatal("ID contains the token")
	}
	id2, _ := SessionID(tok)
	k1, err := SessionKey(tok)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := SessionKey(tok)
	if id != id2 || k1 != k2 {
		t.Fatal("ID or key not deterministic")
	}
	if hex.EncodeToString(k1[:]) == id {
		t.Fatal("session key equals the stored ID")
	}

	other := NewSessionToken()
	otherID, _ := SessionID(other)
	otherKey, _ := SessionKey(other)
	if other == tok || otherID == id || otherKey == k1 {
		t.Fatal("two tokens collide")
	}
}

func TestSessionRejectsMalformedTokens(t *testing.T) {
	tok := NewSessionToken()
	// Flip the unused low bits of the last character to get a second
	// spelling of the same bytes.
	lastIdx := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[42])
	alias := tok[:42] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[lastIdx^1])
	tests := []struct{ name, tok string }{
		{"empty", ""},
		{"too short", tok[:42]},
		{"too long", tok + "A"},
		{"padded", tok + "="},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+"},
		{"non-canonical trailing bits", alias},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SessionID(tt.tok); !errors.Is(err, ErrBadSessionToken) {
				t.Errorf("SessionID error = %v", err)
			}
			if _, err := SessionKey(tt.tok); !errors.Is(err, ErrBadSessionToken) {
				t.Errorf("SessionKey error = %v", err)
			}
		})
	}
}
