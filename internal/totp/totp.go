// Package totp implements RFC 6238 time-based one-time passwords with the
// parameters every authenticator app supports: HMAC-SHA-1, 6 digits and a
// 30-second step. SHA-1 is not a weakness here: HOTP relies on HMAC, whose
// security does not depend on SHA-1's collision resistance.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
)

const (
	digits    = 6
	period    = 30 // seconds
	secretLen = 20 // RFC 4226 §4 recommends 160 bits, the SHA-1 block output
)

// NewSecret returns a fresh 160-bit shared secret.
func NewSecret() []byte {
	b := make([]byte, secretLen)
	rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	return b
}

// timeStep returns the RFC 6238 time step T for t. Floor division keeps
// times before 1970 consistent, though they never occur in practice.
func timeStep(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - period + 1) / period
	}
	return s / period
}

// hotp is RFC 4226 HOTP with n digits; n is a parameter so tests can check
// the 8-digit RFC 6238 vectors directly.
func hotp(secret []byte, counter int64, n int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range n {
		mod *= 10
	}
	code := make([]byte, n)
	v %= mod
	for i := n - 1; i >= 0; i-- {
		code[i] = byte('0' + v%10)
		v /= 10
	}
	return string(code)
}

// Code returns the 6-digit code for time t.
func Code(secret []byte, t time.Time) string {
	return hotp(secret, timeStep(t), digits)
}

// Verify accepts the code for the step of now, one step before and one
// after, tolerating clock drift and slow typing. It returns the matched
// step; the caller stores it and passes it as lastStep next time, so a
// code is accepted only if its step > lastStep. That refuses a replay of
// an observed code and of any earlier one. For a user who has never
// logged in with TOTP, pass 0.
func Verify(secret []byte, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	if len(code) != digits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	cur := timeStep(now)
	// Check every step in the window instead of stopping at the first
	// match, and compare in constant time, so response timing reveals
	// neither the code nor which step matched.
	matched := int64(0)
	found := 0
	for s := cur + 1; s >= cur-1; s-- {
		eq := subtle.ConstantTimeCompare([]byte(hotp(secret, s, digits)), []byte(code))
		fresh := 0
		if s > lastStep {
			fresh = 1
		}
		// Iterating downwards and overwriting keeps the earliest fresh
		// match, which burns as few future steps as possible.
		if eq&fresh == 1 {
			matched = s
			found = 1
		}
	}
	return matched, found == 1
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret returns the secret as unpadded base32, the form
// authenticator apps accept for manual entry.
func EncodeSecret(secret []byte) string {
	return b32.EncodeToString(secret)
}

// URI returns an otpauth:// key URI for a QR code, in the format Google
// Authenticator documents and other apps follow.
func URI(issuer, account string, secret []byte) string {
	label := escapeLabel(issuer) + ":" + escapeLabel(account)
	return "otpauth://totp/" + label +
		"?secret=" + EncodeSecret(secret) +
		"&issuer=" + escapeQuery(issuer) +
		"&algorithm=SHA1&digits=6&period=30"
}

// escapeLabel escapes a label half. PathEscape leaves ':' alone, but a
// colon inside the issuer or account would be read as the separator.
func escapeLabel(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// escapeQuery uses %20 rather than '+' for spaces, because some
// authenticator apps show a literal '+' in the issuer name.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
