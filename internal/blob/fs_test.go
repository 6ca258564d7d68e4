package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func newTestFS(t *testing.T) *FS {
	t.Helper()
	f, err := NewFS(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatalf("NewFS: %v", err)
	}
	return f
}

func put(t *testing.T, s Store, key string, body []byte) {
	t.Helper()
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	defer w.Abort()
	if _, err := w.Write(body); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func walkKeys(t *testing.T, s Store) []string {
	t.Helper()
	var keys []string
	err := s.Walk(context.Background(), func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	sort.Strings(keys)
	return keys
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	return len(entries)
}

func TestNewFSCreatesPrivateDirectories(t *testing.T) {
	f := newTestFS(t)
	for _, d := range []string{f.dir, f.tmp, f.objects} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatalf("Stat(%s): %v", d, err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", d, perm)
		}
	}
}

func TestCommittedBlobCanBeReadBack(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	body := []byte("ciphertext: 0123456789abcdef")
	put(t, f, "abcdef0123", body)

	r, err := f.Open(ctx, "abcdef0123")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()

	if got := r.Size(); got != int64(len(body)) {
		t.Errorf("Size() = %d, want %d", got, len(body))
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("read %q, want %q", got, body)
	}

	buf := make([]byte, 4)
	if _, err := r.ReadAt(buf, 12); err != nil {
		t.Fatalf("ReadAt: %v", err)
	}
	if string(buf) != "0123" {
		t.Errorf("ReadAt(12) = %q, want %q", buf, "0123")
	}

	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	again, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(again, body) {
		t.Errorf("after Seek read %q, %v; want %q", again, err, body)
	}

	fi, err := os.Stat(f.path("abcdef0123"))
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("blob file mode = %v, want 0600", perm)
	}
	if n := countFiles(t, f.tmp); n != 0 {
		t.Errorf("tmp holds %d files after commit, want 0", n)
	}
}

func TestEmptyBlobCanBeCommitted(t *testing.T) {
	f := newTestFS(t)
	put(t, f, "emptyblob", nil)
	r, err := f.Open(context.Background(), "emptyblob")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	if r.Size() != 0 {
		t.Errorf("Size() = %d, want 0", r.Size())
	}
}

func TestUncommittedAndAbortedWritesAreInvisible(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()

	pending, err := f.Create(ctx, "pending-1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer pending.Abort()
	pending.Write([]byte("half"))

	aborted, err := f.Create(ctx, "aborted-1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	aborted.Write([]byte("gone"))
	if err := aborted.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}

	for _, key := range []string{"pending-1", "aborted-1"} {
		if _, err := f.Open(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) error = %v, want ErrNotFound", key, err)
		}
	}
	if keys := walkKeys(t, f); len(keys) != 0 {
		t.Errorf("Walk listed %v, want nothing", keys)
	}
	if n := countFiles(t, f.tmp); n != 1 {
		t.Errorf("tmp holds %d files, want only the pending write", n)
	}
}

func TestWriterIsFinishedAfterCommitOrAbort(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()

	w, _ := f.Create(ctx, "finished-1")
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Commit error = %v, want ErrClosed", err)
	}
	if err := w.Commit(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Commit error = %v, want ErrClosed", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit error = %v, want nil", err)
	}
	if _, err := f.Open(ctx, "finished-1"); err != nil {
		t.Errorf("Abort after Commit removed the blob: %v", err)
	}

	w, _ = f.Create(ctx, "finished-2")
	w.Abort()
	if err := w.Commit(); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Abort error = %v, want ErrClosed", err)
	}
}

func TestCreateRefusesExistingKey(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	put(t, f, "existing", []byte("first"))

	if _, err := f.Create(ctx, "existing"); !errors.Is(err, ErrExists) {
		t.Errorf("Create of existing key error = %v, want ErrExists", err)
	}
}

func TestConcurrentWritersOfOneKeyKeepTheFirstCommit(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	a, err := f.Create(ctx, "raced-key")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Create(ctx, "raced-key")
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("first"))
	b.Write([]byte("second"))
	if err := a.Commit(); err != nil {
		t.Fatalf("first Commit: %v", err)
	}
	if err := b.Commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("second Commit error = %v, want ErrExists", err)
	}
	r, err := f.Open(ctx, "raced-key")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); string(got) != "first" {
		t.Errorf("blob = %q, want %q", got, "first")
	}
	if n := countFiles(t, f.tmp); n != 0 {
		t.Errorf("tmp holds %d files after failed commit, want 0", n)
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	put(t, f, "deleteme", []byte("x"))

	for i := range 2 {
		if err := f.Delete(ctx, "deleteme"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := f.Open(ctx, "deleteme"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open after Delete error = %v, want ErrNotFound", err)
	}
	if err := f.Delete(ctx, "neverexisted"); err != nil {
		t.Errorf("Delete of never-created key: %v", err)
	}
}

func TestEveryMethodRejectsInvalidKeys(t *testing.T) {
	tests := []struct {
		name string
		key  string
	}{
		{"parent traversal", "../x"},
		{"deep traversal", "../../../../etc/passwd"},
		{"slash", "a/b"},
		{"slash in long key", "abcdefgh/ijklmn"},
		{"empty", ""},
		{"upper case", "UPPERCASE"},
		{"hidden file", ".hidden-file"},
		{"dot inside", "abcd.efgh"},
		{"too short", "abcdefg"},
		{"too long", strings.Repeat("a", 129)},
		{"nul byte", "abcdefgh\x00"},
		{"non-ascii", "abcdefghæ"},
		{"backslash", `abcd\efgh`},
	}
	f := newTestFS(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ValidKey(tt.key) {
				t.Errorf("ValidKey(%q) = true", tt.key)
			}
			if _, err := f.Create(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Create error = %v, want ErrInvalidKey", err)
			}
			if _, err := f.Open(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Open error = %v, want ErrInvalidKey", err)
			}
			if err := f.Delete(ctx, tt.key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Delete error = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestValidKeyAcceptsTheDocumentedAlphabet(t *testing.T) {
	for _, key := range []string{
		"abcdefgh",
		"0123456789",
		"3f2a9c1e-7b4d-4e2a-9f00-0123456789ab",
		strings.Repeat("z", 128),
		"--------",
	} {
		if !ValidKey(key) {
			t.Errorf("ValidKey(%q) = false, want true", key)
		}
	}
}

func TestWalkListsOnlyCommittedBlobs(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	put(t, f, "aaaa0001", []byte("1"))
	put(t, f, "aaaa0002", []byte("2"))
	put(t, f, "bbbb0001", []byte("3"))

	w, _ := f.Create(ctx, "cccc0001")
	defer w.Abort()
	w.Write([]byte("pending"))
	// Foreign files in the object tree must not be mistaken for blobs.
	os.WriteFile(filepath.Join(f.objects, "aa", "NOTAKEY"), nil, 0o600)
	os.WriteFile(filepath.Join(f.objects, "aa", "zzzz0001"), nil, 0o600)

	got := walkKeys(t, f)
	want := []string{"aaaa0001", "aaaa0002", "bbbb0001"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Walk listed %v, want %v", got, want)
	}
}

func TestWalkStopsAtCallbackError(t *testing.T) {
	f := newTestFS(t)
	put(t, f, "aaaa0001", nil)
	put(t, f, "bbbb0001", nil)
	stop := errors.New("stop")
	calls := 0
	err := f.Walk(context.Background(), func(string, time.Time) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Walk returned %v after %d calls, want stop after 1", err, calls)
	}
}

func setModTime(t *testing.T, path string, mt time.Time) {
	t.Helper()
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatalf("Chtimes: %v", err)
	}
}

func TestSweepRemovesOnlyUnreferencedOldBlobsAndOldTempFiles(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	cutoff := now.Add(-time.Hour)

	blobs := []struct {
		key        string
		old        bool
		referenced bool
		survives   bool
	}{
		{"old-orphan", true, false, false},
		{"old-referenced", true, true, true},
		{"new-orphan", false, false, true},
		{"new-referenced", false, true, true},
	}
	referenced := map[string]bool{}
	for _, b := range blobs {
		put(t, f, b.key, []byte(b.key))
		if b.old {
			setModTime(t, f.path(b.key), old)
		}
		referenced[b.key] = b.referenced
	}

	oldTemp, _ := f.Create(ctx, "oldtemp1")
	defer oldTemp.Abort()
	setModTime(t, oldTemp.(*fsWriter).file.Name(), old)
	newTemp, _ := f.Create(ctx, "newtemp1")
	defer newTemp.Abort()
	newTempName := newTemp.(*fsWriter).file.Name()

	n, err := Sweep(ctx, f, cutoff, func(_ context.Context, key string) (bool, error) {
		return referenced[key], nil
	})
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if n != 2 {
		t.Errorf("Sweep removed %d, want 2 (one blob, one temp file)", n)
	}
	for _, b := range blobs {
		_, err := f.Open(ctx, b.key)
		if exists := err == nil; exists != b.survives {
			t.Errorf("%s exists = %v, want %v (err %v)", b.key, exists, b.survives, err)
		}
	}
	if _, err := os.Stat(newTempName); err != nil {
		t.Errorf("recent temp file removed: %v", err)
	}
	if n := countFiles(t, f.tmp); n != 1 {
		t.Errorf("tmp holds %d files, want 1", n)
	}
}

func TestSweepKeepsBlobsWhenReferenceCheckFails(t *testing.T) {
	f := newTestFS(t)
	ctx := context.Background()
	put(t, f, "old-orphan", nil)
	setModTime(t, f.path("old-orphan"), time.Now().Add(-time.Hour))

	dbDown := errors.New("database unavailable")
	n, err := Sweep(ctx, f, time.Now(), func(context.Context, string) (bool, error) {
		return false, dbDown
	})
	if !errors.Is(err, dbDown) {
		t.Errorf("Sweep error = %v, want wrapped dbDown", err)
	}
	if n != 0 {
		t.Errorf("Sweep removed %d, want 0", n)
	}
	if _, err := f.Open(ctx, "old-orphan"); err != nil {
		t.Errorf("blob removed despite failed reference check: %v", err)
	}
}
