package keys

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so that
// characters read aloud or copied from paper are hard to confuse.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var crockfordEnc = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

const (
	receiptBytes  = 10 // 80 bits
	receiptChars  = 16 // 80 / 5
	recoveryBytes = 16 // 128 bits
	recoveryChars = 26 // ceil(128 / 5)
	// maxTypedLen caps input before normalisation so an attacker cannot
	// make us walk megabytes of separators.
	maxTypedLen = 256
)

var (
	// ErrBadReceipt means the text is not a receipt.
	ErrBadReceipt = errors.New("keys: not a valid receipt")
	// ErrBadRecoveryKey means the text is not a recovery key.
	ErrBadRecoveryKey = errors.New("keys: not a valid recovery key")
)

// normalizeTyped turns what a person typed or pasted into canonical
// Crockford characters, or reports false. It is tolerant of what happens
// to codes in practice: lower case, grouping separators, spaces inserted
// by word processors and chat apps, full-width forms from CJK input
// methods, and the look-alikes that Crockford's alphabet leaves out.
func normalizeTyped(s string) (string, bool) {
	if len(s) > maxTypedLen {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		// Full-width ASCII forms (U+FF01..U+FF5E) map 1:1 onto ASCII.
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case r == ' ', r == '\t', r == '-', r == '.',
			r == '\u00A0',                                                             // no-break space
			r == '\u3000',                                                             // ideographic (full-width) space
			r == '\u200B', r == '\u200C', r == '\u200D', r == '\u2060', r == '\uFEFF', // zero-width characters
			r >= '\u2010' && r <= '\u2015', r == '\u2212': // typographic dashes and minus
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 0x7F || strings.IndexByte(crockford, byte(r)) < 0 {
			return "", false
		}
		b.WriteByte(byte(r))
	}
	return b.String(), true
}

// groups inserts sep every 4 characters so codes are easier to copy.
func groups(s, sep string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), sep)
}

// NewReceipt returns a fresh 80-bit receipt for display, e.g.
// "7K3M 9QXA 2B4T HV0P".
func NewReceipt() string {
	var raw [receiptBytes]byte
	rand.Read(raw[:])
	return groups(crockfordEnc.EncodeToString(raw[:]), " ")
}

// ParseReceipt returns the canonical form of a typed receipt: 16
// upper-case Crockford characters without separators. Every 16-character
// string is a valid receipt because 16×5 bits is exactly 80.
func ParseReceipt(s string) ([]byte, error) {
	c, ok := normalizeTyped(s)
	if !ok || len(c) != receiptChars {
		return nil, ErrBadReceipt
	}
	return []byte(c), nil
}

func isCanonicalReceipt(c []byte) bool {
	if len(c) != receiptChars {
		return false
	}
	for _, ch := range c {
		if strings.IndexByte(crockford, ch) < 0 {
			return false
		}
	}
	return true
}

// ReceiptKeys are derived from a whistleblower's receipt.
type ReceiptKeys struct {
	// Lookup is the indexed column that finds the report. It is keyed
	// with the pepper so that a stolen database alone cannot be used to
	// test receipt guesses.
	Lookup []byte
	// Key is K_wb, which opens the report key.
	Key Key
}

// minSaltLen is the RFC 9106 recommendation; NewSalt produces it.
const minSaltLen = 16

// ReceiptKeys derives the lookup value and K_wb from a canonical receipt
// (the output of ParseReceipt) with a single Argon2 call, so a login costs
// one Argon2 run however many keys it needs.
func (k *KDF) ReceiptKeys(ctx context.Context, canonical, tenantSalt, pepper []byte, p Params) (ReceiptKeys, error) {
	// Refuse raw user input: deriving from a non-canonical form would
	// silently produce keys that never match.
	if !isCanonicalReceipt(canonical) {
		return ReceiptKeys{}, fmt.Errorf("keys: receipt keys: %w", ErrBadReceipt)
	}
	if len(tenantSalt) < minSaltLen {
		return ReceiptKeys{}, fmt.Errorf("keys: receipt keys: tenant salt shorter than %d bytes", minSaltLen)
	}
	// An empty or short pepper would quietly remove the protection it is
	// there for, so treat it as a configuration error.
	if len(pepper) < 16 {
		return ReceiptKeys{}, errors.New("keys: receipt keys: pepper shorter than 16 bytes")
	}
	s, err := k.argon(ctx, canonical, tenantSalt, p)
	if err != nil {
		return ReceiptKeys{}, fmt.Errorf("keys: receipt keys: %w", err)
	}
	defer clear(s)
	lookupKey := ExpandBytes(s, "receipt lookup")
	mac := hmac.New(sha256.New, pepper)
	mac.Write(lookupKey[:])
	return ReceiptKeys{
		Lookup: mac.Sum(nil),
		Key:    ExpandBytes(s, "receipt key"),
	}, nil
}

// NewRecoveryKey returns a fresh 128-bit recovery key, formatted for
// display once (groups of 4 separated by "-"), and the sealing key K_rec
// derived from it. Argon2 is unnecessary: 128 random bits cannot be
// searched.
func NewRecoveryKey() (display string, key Key) {
	var raw [recoveryBytes]byte
	rand.Read(raw[:])
	defer clear(raw[:])
	return groups(crockfordEnc.EncodeToString(raw[:]), "-"), ExpandBytes(raw[:], "recovery key")
}

// ParseRecoveryKey accepts a typed recovery key with the same tolerance as
// ParseReceipt and returns K_rec.
func ParseRecoveryKey(s string) (Key, error) {
	c, ok := normalizeTyped(s)
	if !ok || len(c) != recoveryChars {
		return Key{}, ErrBadRecoveryKey
	}
	raw, err := crockfordEnc.DecodeString(c)
	if err != nil || len(raw) != recoveryBytes {
		return Key{}, ErrBadRecoveryKey
	}
	defer clear(raw)
	// 26 characters carry 130 bits; the last 2 must be zero. encoding/base32
	// ignores them, so check by re-encoding to keep one text per key.
	if crockfordEnc.EncodeToString(raw) != c {
		return Key{}, ErrBadRecoveryKey
	}
	return ExpandBytes(raw, "recovery key"), nil
}
