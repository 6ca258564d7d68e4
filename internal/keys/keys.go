// Package keys holds Varsel's cryptographic building blocks: Argon2id for
// low-entropy secrets, HKDF-SHA-256 to split one secret into independent
// keys, XChaCha20-Poly1305 for small sealed values and age for public-key
// wrapping and file streams. See docs/key-hierarchy.md for how they fit.
//
// Nothing here implements a primitive; it only fixes parameters, labels and
// encodings so that every caller uses the libraries the same way.
package keys

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Params are Argon2id cost parameters.
type Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

var (
	// ReceiptParams is the OWASP minimum. Receipts carry 80 random bits,
	// so the KDF only has to make an offline search of the lookup column
	// expensive, not rescue a weak secret.
	ReceiptParams = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}
	// PasswordParams is the second recommendation of RFC 9106 §4, because
	// staff passwords are chosen by humans and may be weak.
	PasswordParams = Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 1}
	// TestParams is cheap so that tests run quickly. Production code never
	// passes it: a value derived with it offers no brute-force resistance.
	TestParams = Params{Time: 1, MemoryKiB: 64, Threads: 1}
)

func (p Params) validate() error {
	// argon2.IDKey panics on these; a configuration error must not take
	// the server down.
	if p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) {
		return fmt.Errorf("keys: invalid Argon2 parameters %+v", p)
	}
	return nil
}

// KDF runs Argon2id with bounded concurrency. Each call holds MemoryKiB of
// memory for its duration, so a burst of logins could otherwise exhaust
// RAM; a single global lock would instead serialise every login. A
// counting semaphore lets up to max calls proceed in parallel.
type KDF struct {
	sem chan struct{}
	// onBlock, if set, is called when a call has to wait for a slot. Only
	// tests set it, to observe blocking without sleeping.
	onBlock func()
}

// NewKDF returns a KDF that runs at most maxConcurrent Argon2 calls at
// once; maxConcurrent <= 0 means runtime.NumCPU().
func NewKDF(maxConcurrent int) *KDF {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &KDF{sem: make(chan struct{}, maxConcurrent)}
}

func (k *KDF) acquire(ctx context.Context) error {
	// A request whose client has gone away should not start expensive work
	// even if a slot happens to be free.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keys: waiting for KDF slot: %w", err)
	}
	select {
	case k.sem <- struct{}{}:
		return nil
	default:
	}
	if k.onBlock != nil {
		k.onBlock()
	}
	select {
	case k.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("keys: waiting for KDF slot: %w", ctx.Err())
	}
}

func (k *KDF) release() { <-k.sem }

// argon derives 32 bytes with Argon2id, waiting for a free slot first.
func (k *KDF) argon(ctx context.Context, secret, salt []byte, p Params) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if err := k.acquire(ctx); err != nil {
		return nil, err
	}
	defer k.release()
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, 32), nil
}

// Key is a 256-bit symmetric key.
type Key [32]byte

// NewKey returns a fresh random key.
func NewKey() Key {
	var k Key
	rand.Read(k[:]) // crypto/rand.Read never returns an error since Go 1.24.
	return k
}

// labelPrefix versions every HKDF label so that a future scheme can never
// derive the same key from the same secret.
const labelPrefix = "varsel/v1 "

// Expand derives an independent key for one purpose from k.
func (k Key) Expand(label string) Key { return ExpandBytes(k[:], label) }

// ExpandBytes derives a key for one purpose from a uniformly random secret
// (an Argon2 output, a recovery key, a session token). No salt is needed
// because the secrets already have full entropy.
func ExpandBytes(secret []byte, label string) Key {
	out, err := hkdfSHA256(secret, nil, labelPrefix+label, 32)
	if err != nil {
		// Only possible for output lengths above 255*32 bytes.
		panic("keys: hkdf: " + err.Error())
	}
	return Key(out)
}

// hkdfSHA256 is the single HKDF call path, kept separate so tests can
// check it against RFC 5869 with a salt.
func hkdfSHA256(secret, salt []byte, info string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, salt, info, n)
}

// AD builds associated data binding a ciphertext to where it lives, e.g.
// AD(tenantID, "report", reportID, "answers"). Each part is length-prefixed
// so that no two different lists of parts encode to the same bytes; a
// plain separator would let AD("a|b") collide with AD("a", "b").
func AD(tenant string, parts ...string) []byte {
	const prefix = "varsel/v1"
	n := len(prefix) + 4 + len(tenant)
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	for _, p := range append([]string{tenant}, parts...) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// sealVersion identifies XChaCha20-Poly1305 with a random 24-byte nonce.
// It is stored in every sealed value so the algorithm can change later and
// old values can be recognised and re-sealed.
const sealVersion = 0x01

var (
	// ErrDecrypt means the key or associated data is wrong or the value
	// was modified or truncated. These cases are deliberately not told
	// apart.
	ErrDecrypt = errors.New("keys: cannot decrypt: wrong key, wrong context or corrupted data")
	// ErrVersion means the value was sealed with an unknown scheme.
	ErrVersion = errors.New("keys: unknown sealed value version")
)

// Seal encrypts and authenticates plaintext under key, bound to ad. The
// result is version || nonce || ciphertext. Random nonces are safe because
// XChaCha20's 192-bit nonce makes collisions negligible.
func Seal(key Key, plaintext, ad []byte) []byte {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("keys: " + err.Error()) // only on a wrong key size, which Key rules out
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], plaintext, ad)
}

// Open reverses Seal.
func Open(key Key, sealed, ad []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, ErrDecrypt
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: %#x", ErrVersion, sealed[0])
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("keys: " + err.Error())
	}
	body := sealed[1:]
	if len(body) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrDecrypt
	}
	nonce, ct := body[:aead.NonceSize()], body[aead.NonceSize():]
	pt, err := aead.Open(nil, nonce, ct, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
