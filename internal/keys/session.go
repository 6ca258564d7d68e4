package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

const sessionTokenBytes = 32

// ErrBadSessionToken means the token is not one NewSessionToken produced.
var ErrBadSessionToken = errors.New("keys: malformed session token")

// Strict rejects non-zero trailing bits, so each token has exactly one
// text form and therefore one ID.
var tokenEnc = base64.RawURLEncoding.Strict()

// NewSessionToken returns a random 256-bit token for the client to hold.
// The server keeps only SessionID(token), so a copy of the session table
// neither logs anyone in nor opens the keys sealed under SessionKey.
func NewSessionToken() (token string) {
	var raw [sessionTokenBytes]byte
	rand.Read(raw[:])
	return tokenEnc.EncodeToString(raw[:])
}

func decodeToken(token string) ([]byte, error) {
	raw, err := tokenEnc.DecodeString(token)
	if err != nil || len(raw) != sessionTokenBytes {
		return nil, ErrBadSessionToken
	}
	return raw, nil
}

// SessionID returns the hex SHA-256 of the token's raw bytes: the value
// the server stores and looks sessions up by. A plain hash suffices (no
// Argon2, no salt) because the token has 256 random bits.
func SessionID(token string) (string, error) {
	raw, err := decodeToken(token)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// SessionKey returns the key that seals the unlocked key for this session.
// It is derived with HKDF, which is independent of SHA-256(T), so the
// stored ID does not reveal it.
func SessionKey(token string) (Key, error) {
	raw, err := decodeToken(token)
	if err != nil {
		return Key{}, err
	}
	defer clear(raw)
	return ExpandBytes(raw, "session key"), nil
}
