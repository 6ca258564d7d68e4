package keys

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// PasswordKeys are derived from a staff password.
type PasswordKeys struct {
	// Verifier is stored and compared at login.
	Verifier []byte
	// Key is K_pw, which opens the user's sealed identity. It is
	// independent of Verifier, so the stored verifier reveals nothing
	// about it.
	Key Key
}

// PasswordKeys derives the login verifier and K_pw with a single Argon2
// call. The password is NFKC-normalised first (NIST SP 800-63B §5.1.1.2)
// so that the same password typed on systems that compose accents
// differently, or through a full-width input method, still unlocks.
func (k *KDF) PasswordKeys(ctx context.Context, password string, salt []byte, p Params) (PasswordKeys, error) {
	if len(salt) < minSaltLen {
		return PasswordKeys{}, fmt.Errorf("keys: password keys: salt shorter than %d bytes", minSaltLen)
	}
	s, err := k.argon(ctx, []byte(norm.NFKC.String(password)), salt, p)
	if err != nil {
		return PasswordKeys{}, fmt.Errorf("keys: password keys: %w", err)
	}
	defer clear(s)
	v := ExpandBytes(s, "password verifier")
	return PasswordKeys{Verifier: v[:], Key: ExpandBytes(s, "password key")}, nil
}

// VerifierEqual compares verifiers in constant time so that response
// timing does not reveal how many leading bytes matched.
func VerifierEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}

// NewSalt returns 16 random bytes, the salt length RFC 9106 recommends.
func NewSalt() []byte {
	b := make([]byte, minSaltLen)
	rand.Read(b)
	return b
}
