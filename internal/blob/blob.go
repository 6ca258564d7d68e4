// Package blob stores opaque, already-encrypted file bodies under short keys.
//
// The Store interface is deliberately small so that an object-store backend
// (S3 and similar) can implement it without emulating file-system semantics.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

var (
	// ErrNotFound is returned by Open when no committed blob exists under a key.
	ErrNotFound = errors.New("blob: not found")
	// ErrExists is returned by Create or Commit when a blob is already committed
	// under the key; blobs are write-once so a caller can never overwrite evidence.
	ErrExists = errors.New("blob: already exists")
	// ErrInvalidKey is returned by every method given a key that ValidKey rejects.
	ErrInvalidKey = errors.New("blob: invalid key")
	// ErrClosed is returned when a Writer is used after Commit or Abort.
	ErrClosed = errors.New("blob: writer already committed or aborted")
)

// Store holds committed blobs.
type Store interface {
	// Create returns a writer for a new blob. Nothing is visible under key until
	// Commit succeeds; Abort (or a crash) leaves at most a temporary object that
	// Sweep removes.
	Create(ctx context.Context, key string) (Writer, error)
	// Open returns ErrNotFound if no blob is committed under key.
	Open(ctx context.Context, key string) (Reader, error)
	// Delete is idempotent: a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for each committed blob with its modification time. An
	// error from fn stops the walk and is returned unchanged.
	Walk(ctx context.Context, fn func(key string, modTime time.Time) error) error
}

// Writer receives the body of a new blob.
type Writer interface {
	io.Writer
	// Commit makes the blob durable and visible. The writer is finished
	// afterwards whether or not Commit succeeded.
	Commit() error
	// Abort discards the blob. It is safe to call after Commit, which makes
	// "defer w.Abort()" a valid clean-up pattern.
	Abort() error
}

// Reader reads a committed blob.
type Reader interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
	Size() int64
}

// tempCleaner is implemented by stores that keep in-progress writes somewhere
// Walk cannot see them, so Sweep can reclaim what crashed writers left behind.
type tempCleaner interface {
	CleanTemp(cutoff time.Time) (int, error)
}

const (
	minKeyLen = 8
	maxKeyLen = 128
)

// ValidKey reports whether key may name a blob: 8 to 128 characters from
// [a-z0-9-]. The alphabet excludes '/', '.', and upper case so a key can never
// escape the store directory or collide on case-insensitive file systems.
func ValidKey(key string) bool {
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func checkKey(key string) error {
	if !ValidKey(key) {
		// The key is not echoed: it may come from a request and end up in logs.
		return ErrInvalidKey
	}
	return nil
}

// Sweep deletes committed blobs that are older than cutoff and for which
// isReferenced reports false, then removes temporary objects older than cutoff
// if the store keeps any. It returns how many objects it removed.
//
// The cutoff protects blobs whose referencing database row is not yet
// committed: at start-up the process start time is safe, because no request of
// this process can have an open transaction for an older blob; periodic sweeps
// must use a cutoff well before the longest plausible upload-and-save.
//
// If isReferenced fails, Sweep stops without deleting that blob: deleting
// evidence because the database was briefly unavailable would be worse than
// keeping an orphan until the next sweep.
func Sweep(ctx context.Context, s Store, cutoff time.Time, isReferenced func(ctx context.Context, key string) (bool, error)) (int, error) {
	// Candidates are collected first so that deletion never races the
	// listing of an object store that pages through results.
	var candidates []string
	err := s.Walk(ctx, func(key string, modTime time.Time) error {
		if modTime.Before(cutoff) {
			candidates = append(candidates, key)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("blob: sweep: walk: %w", err)
	}

	removed := 0
	for _, key := range candidates {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("blob: sweep: %w", err)
		}
		ref, err := isReferenced(ctx, key)
		if err != nil {
			return removed, fmt.Errorf("blob: sweep: check reference of %s: %w", key, err)
		}
		if ref {
			continue
		}
		if err := s.Delete(ctx, key); err != nil {
			return removed, fmt.Errorf("blob: sweep: delete %s: %w", key, err)
		}
		removed++
	}

	if tc, ok := s.(tempCleaner); ok {
		n, err := tc.CleanTemp(cutoff)
		removed += n
		if err != nil {
			return removed, fmt.Errorf("blob: sweep: %w", err)
		}
	}
	return removed, nil
}
