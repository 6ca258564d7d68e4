package keys

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func newTestIdentity(t *testing.T) *Identity {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIdentityBytesParseRoundTrip(t *testing.T) {
	id := newTestIdentity(t)
	if !strings.HasPrefix(id.Recipient(), "age1") {
		t.Fatalf("recipient %q", id.Recipient())
	}
	if !bytes.HasPrefix(id.Bytes(), []byte("AGE-SECRET-KEY-1")) {
		t.Fatal("Bytes is not an age secret key")
	}
	parsed, err := ParseIdentity(id.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Recipient() != id.Recipient() {
		t.Fatal("parsed identity has a different recipient")
	}
	if _, err := ParseIdentity([]byte("AGE-SECRET-KEY-1NOTAKEY")); err == nil {
		t.Fatal("garbage identity parsed")
	}
}

func TestWrapUnwrapKey(t *testing.T) {
	id := newTestIdentity(t)
	k := NewKey()
	wrapped, err := WrapKey(id.Recipient(), k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := id.UnwrapKey(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got != k {
		t.Fatal("unwrapped key differs")
	}

	if _, err := newTestIdentity(t).UnwrapKey(wrapped); err == nil {
		t.Fatal("another identity unwrapped the key")
	}
	wrapped[len(wrapped)-1] ^= 1
	if _, err := id.UnwrapKey(wrapped); err == nil {
		t.Fatal("tampered wrap unwrapped")
	}
	if _, err := WrapKey("age1notarecipient", k); err == nil {
		t.Fatal("bad recipient accepted")
	}
}

func TestUnwrapKeyRejectsWrongLengthPayload(t *testing.T) {
	id := newTestIdentity(t)
	for _, n := range []int{0, 31, 33} {
		var buf bytes.Buffer
		w, err := EncryptStream(&buf, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]byte, n))
		w.Close()
		if _, err := id.UnwrapKey(buf.Bytes()); err == nil {
			t.Errorf("%d-byte payload accepted as a key", n)
		}
	}
}

func TestStreamRoundTrip(t *testing.T) {
	id := newTestIdentity(t)
	for _, size := range []int{0, 1, 64 << 10, 200 << 10} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(i * 7)
		}
		var enc bytes.Buffer
		w, err := EncryptStream(&enc, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}

		r, err := id.DecryptStream(bytes.NewReader(enc.Bytes()))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("size %d: stream round trip changed data", size)
		}

		ra, n, err := id.DecryptReaderAt(bytes.NewReader(enc.Bytes()), int64(enc.Len()))
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: DecryptReaderAt n=%d err=%v", size, n, err)
		}
		if size > 0 {
			b := make([]byte, 1)
			if _, err := ra.ReadAt(b, int64(size-1)); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if b[0] != plain[size-1] {
				t.Fatalf("size %d: ReadAt last byte wrong", size)
			}
		}
	}
}

func TestDecryptStreamDetectsTruncation(t *testing.T) {
	id := newTestIdentity(t)
	var enc bytes.Buffer
	w, _ := EncryptStream(&enc, id.Recipient())
	w.Write(make([]byte, 200<<10))
	w.Close()
	r, err := id.DecryptStream(bytes.NewReader(enc.Bytes()[:enc.Len()-100]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil {
		t.Fatal("truncated stream read without error")
	}
}
