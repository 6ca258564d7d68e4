package keys

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// Identity is a staff user's (or a report's file) age X25519 key pair.
// age is used rather than a home-made ECDH+AEAD construction because its
// format is reviewed, versioned and has a streaming mode for files.
type Identity struct {
	x *age.X25519Identity
}

// NewIdentity generates a fresh identity.
func NewIdentity() (*Identity, error) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("keys: generate identity: %w", err)
	}
	return &Identity{x: x}, nil
}

// Recipient returns the public key ("age1..."), which may be stored in clear.
func (id *Identity) Recipient() string { return id.x.Recipient().String() }

// Bytes returns the secret key ("AGE-SECRET-KEY-1...") for sealing under a
// password or recovery key. Never store it unsealed.
func (id *Identity) Bytes() []byte { return []byte(id.x.String()) }

// ParseIdentity parses the output of Bytes.
func ParseIdentity(b []byte) (*Identity, error) {
	x, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("keys: parse identity: %w", err)
	}
	return &Identity{x: x}, nil
}

func parseRecipient(recipient string) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("keys: parse recipient: %w", err)
	}
	return r, nil
}

// WrapKey encrypts k to recipient, so that a handler, custodian or the
// escrow holder can later unwrap it without any shared secret. The age
// header records the format version, which covers the design's rule that
// every wrap carries its algorithm.
func WrapKey(recipient string, k Key) ([]byte, error) {
	var buf bytes.Buffer
	w, err := EncryptStream(&buf, recipient)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(k[:]); err != nil {
		return nil, fmt.Errorf("keys: wrap key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keys: wrap key: %w", err)
	}
	return buf.Bytes(), nil
}

// UnwrapKey reverses WrapKey.
func (id *Identity) UnwrapKey(wrapped []byte) (Key, error) {
	r, err := id.DecryptStream(bytes.NewReader(wrapped))
	if err != nil {
		return Key{}, err
	}
	// Read one byte more than a key so that an over-long payload (which
	// WrapKey never produces) is rejected rather than silently truncated.
	b, err := io.ReadAll(io.LimitReader(r, int64(len(Key{}))+1))
	if err != nil {
		return Key{}, fmt.Errorf("keys: unwrap key: %w", err)
	}
	if len(b) != len(Key{}) {
		return Key{}, fmt.Errorf("keys: unwrap key: payload is %d bytes, want %d", len(b), len(Key{}))
	}
	return Key(b), nil
}

// EncryptStream returns a writer that age-encrypts to recipient and writes
// to dst. age authenticates each 64 KiB chunk, so large uploads are never
// held in memory. The caller must Close it to flush the final chunk; the
// file is invalid otherwise.
func EncryptStream(dst io.Writer, recipient string) (io.WriteCloser, error) {
	r, err := parseRecipient(recipient)
	if err != nil {
		return nil, err
	}
	w, err := age.Encrypt(dst, r)
	if err != nil {
		return nil, fmt.Errorf("keys: encrypt stream: %w", err)
	}
	return w, nil
}

// DecryptStream returns a reader of the plaintext of an EncryptStream
// output. Reads fail if any chunk was modified or the stream was truncated,
// but earlier chunks may already have been returned: callers that must not
// act on partial data should read to EOF before using it.
func (id *Identity) DecryptStream(src io.Reader) (io.Reader, error) {
	r, err := age.Decrypt(src, id.x)
	if err != nil {
		return nil, fmt.Errorf("keys: decrypt stream: %w", err)
	}
	return r, nil
}

// DecryptReaderAt gives random access to an EncryptStream output of the
// given size, e.g. to serve HTTP range requests for large files without
// decrypting from the start. It returns the plaintext size.
func (id *Identity) DecryptReaderAt(src io.ReaderAt, size int64) (io.ReaderAt, int64, error) {
	r, n, err := age.DecryptReaderAt(src, size, id.x)
	if err != nil {
		return nil, 0, fmt.Errorf("keys: decrypt stream: %w", err)
	}
	return r, n, nil
}
