package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

const (
	dirPerm    = 0o700
	tmpDir     = "tmp"
	objectsDir = "objects"
	tempPrefix = "blob-"
)

// FS is a Store on the local file system.
//
// Layout: dir/tmp/ holds in-progress writes, dir/objects/<first two characters
// of key>/<key> holds committed blobs. Sharding keeps directories small enough
// for fast lookups and listings.
//
// tmp/ and objects/ must be on the same file system, because Commit publishes
// a blob with a hard link (see Commit).
type FS struct {
	dir     string
	tmp     string
	objects string
}

var _ Store = (*FS)(nil)

// NewFS opens, creating if necessary, a file-system store rooted at dir.
func NewFS(dir string) (*FS, error) {
	f := &FS{
		dir:     dir,
		tmp:     filepath.Join(dir, tmpDir),
		objects: filepath.Join(dir, objectsDir),
	}
	for _, d := range []string{f.dir, f.tmp, f.objects} {
		if err := os.MkdirAll(d, dirPerm); err != nil {
			return nil, fmt.Errorf("blob: create store directory: %w", err)
		}
	}
	return f, nil
}

func (f *FS) shardDir(key string) string { return filepath.Join(f.objects, key[:2]) }

func (f *FS) path(key string) string { return filepath.Join(f.objects, key[:2], key) }

// Create starts a new blob. It fails early with ErrExists if the key is already
// taken, but only Commit's check is authoritative, since two writers may race.
func (f *FS) Create(ctx context.Context, key string) (Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: create: %w", err)
	}
	if _, err := os.Lstat(f.path(key)); err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: create: %w", err)
	}
	// os.CreateTemp uses mode 0600, so the body is never readable by others
	// even before Commit.
	file, err := os.CreateTemp(f.tmp, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("blob: create: %w", err)
	}
	return &fsWriter{fs: f, key: key, file: file}, nil
}

// Open returns ErrNotFound if key has no committed blob.
func (f *FS) Open(ctx context.Context, key string) (Reader, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	file, err := os.Open(f.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, ErrNotFound
	}
	return &fsReader{File: file, size: fi.Size()}, nil
}

// Delete removes the blob under key; a missing blob is not an error.
func (f *FS) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	if err := os.Remove(f.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete: %w", err)
	}
	return nil
}

// Walk visits committed blobs in key order. Files that are not valid keys or
// sit in the wrong shard are skipped: they cannot have been written by FS and
// Open could never reach them.
func (f *FS) Walk(ctx context.Context, fn func(key string, modTime time.Time) error) error {
	shards, err := os.ReadDir(f.objects)
	if err != nil {
		return fmt.Errorf("blob: walk: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(f.objects, shard.Name()))
		if err != nil {
			return fmt.Errorf("blob: walk: %w", err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("blob: walk: %w", err)
			}
			key := e.Name()
			if !e.Type().IsRegular() || !ValidKey(key) || key[:2] != shard.Name() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the listing
			}
			if err != nil {
				return fmt.Errorf("blob: walk: %w", err)
			}
			if err := fn(key, info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

// CleanTemp removes temporary files last modified before cutoff and returns
// how many it removed. A write in progress keeps touching its file, so only
// writes abandoned (by a crash or a missing Abort) for longer than the caller's
// grace period are affected.
func (f *FS) CleanTemp(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(f.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob: clean temp: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, fmt.Errorf("blob: clean temp: %w", err)
		}
		if !info.ModTime().Before(cutoff) {
			continue
		}
		err = os.Remove(filepath.Join(f.tmp, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, fmt.Errorf("blob: clean temp: %w", err)
		}
		removed++
	}
	return removed, nil
}

type fsWriter struct {
	fs   *FS
	key  string
	mu   sync.Mutex
	file *os.File // nil once committed or aborted
}

func (w *fsWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return 0, ErrClosed
	}
	n, err := w.file.Write(p)
	if err != nil {
		return n, fmt.Errorf("blob: write: %w", err)
	}
	return n, nil
}

// Commit publishes the blob with os.Link rather than os.Rename: link fails if
// the destination exists, so the no-overwrite guarantee holds atomically even
// when two writers race, whereas check-then-rename would let the later rename
// silently replace the first blob. The cost is that the store needs a file
// system with hard links and tmp/ on the same device as objects/.
func (w *fsWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return ErrClosed
	}
	file := w.file
	w.file = nil
	tmpName := file.Name()
	// The temporary name is always removed: after a successful link the blob
	// lives on under its final name, and after a failure it is garbage.
	defer os.Remove(tmpName)

	if err := file.Sync(); err != nil {
		file.Close()
		return fmt.Errorf("blob: commit: sync: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("blob: commit: close: %w", err)
	}

	shard := w.fs.shardDir(w.key)
	switch err := os.Mkdir(shard, dirPerm); {
	case err == nil:
		// A new shard directory is only durable once its parent is synced.
		if err := syncDir(w.fs.objects); err != nil {
			return fmt.Errorf("blob: commit: %w", err)
		}
	case errors.Is(err, fs.ErrExist):
	default:
		return fmt.Errorf("blob: commit: %w", err)
	}

	if err := os.Link(tmpName, w.fs.path(w.key)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		return fmt.Errorf("blob: commit: link: %w", err)
	}
	if err := syncDir(shard); err != nil {
		return fmt.Errorf("blob: commit: %w", err)
	}
	return nil
}

func (w *fsWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return nil
	}
	file := w.file
	w.file = nil
	closeErr := file.Close()
	if err := os.Remove(file.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: abort: %w", err)
	}
	if closeErr != nil {
		return fmt.Errorf("blob: abort: %w", closeErr)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

type fsReader struct {
	*os.File
	size int64
}

func (r *fsReader) Size() int64 { return r.size }
