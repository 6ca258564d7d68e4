package report_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const tenant = org.DefaultTenant

func TestCleanFileNameKeepsOnlyADisplayableBaseName(t *testing.T) {
	long := strings.Repeat("a", 500)
	longMulti := strings.Repeat("æ", 300)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "report.pdf", "report.pdf"},
		{"unicode kept", "årsrapport 2025.pdf", "årsrapport 2025.pdf"},
		{"unix path traversal", "../../etc/passwd", "passwd"},
		{"absolute unix path", "/home/user/secret.txt", "secret.txt"},
		{"windows path", `C:\Users\ola\Documents\bilag.docx`, "bilag.docx"},
		{"windows traversal", `..\..\windows\system32\drivers\etc\hosts`, "hosts"},
		{"mixed separators", `a/b\c/d.txt`, "d.txt"},
		{"UNC path", `\\server\share\x.xlsx`, "x.xlsx"},
		{"trailing slash leaves nothing", "dir/", "file"},
		{"empty", "", "file"},
		{"only spaces", "   ", "file"},
		{"dot", ".", "file"},
		{"dot dot", "..", "file"},
		{"dot dot after a path", "a/b/..", "file"},
		{"dot dot padded with spaces", " .. ", "file"},
		{"NUL removed", "a\x00b.txt", "ab.txt"},
		{"newline and CR removed", "a\r\nb.txt", "ab.txt"},
		{"tab removed", "a\tb.txt", "ab.txt"},
		{"escape sequence loses ESC", "\x1b[31mred.txt", "[31mred.txt"},
		{"DEL removed", "a\x7fb.txt", "ab.txt"},
		{"invalid UTF-8 removed", "a\xff\xfeb.txt", "ab.txt"},
		{"only control characters", "\x00\x01\x02", "file"},
		{"hidden file kept", ".bashrc", ".bashrc"},
		{"very long ASCII cut to 200 characters", long, long[:200]},
		{"very long multi-byte cut to 200 characters, not bytes", longMulti, strings.Repeat("æ", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.CleanFileName(tt.in)
			if got != tt.want {
				t.Errorf("CleanFileName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, `/\`) {
				t.Errorf("CleanFileName(%q) = %q keeps a path separator", tt.in, got)
			}
		})
	}
}

// A file called "invoice\u202Efdp.exe" shows as "invoiceexe.pdf" to the
// handler who downloads it. Bidirectional overrides and isolates have no
// place in a file name and should be removed before display.
func TestCleanFileNameRemovesBidiOverridesThatDisguiseTheExtension(t *testing.T) {
	in := "invoice\u202Efdp.exe"
	if got := report.CleanFileName(in); got != "invoicefdp.exe" {
		t.Errorf("CleanFileName(%q) = %q, want %q", in, got, "invoicefdp.exe")
	}
	for _, r := range []rune{'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F'} {
		if got := report.CleanFileName("a" + string(r) + "b.txt"); got != "ab.txt" {
			t.Errorf("CleanFileName with %U = %q, want %q", r, got, "ab.txt")
		}
	}
}

func TestCheckTextAcceptsCleanTextAndRejectsTheRest(t *testing.T) {
	max := strings.Repeat("x", report.MaxMessageLen)
	maxMulti := strings.Repeat("ø", report.MaxMessageLen)
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"plain", "Hello", "Hello", nil},
		{"surrounding whitespace trimmed", "  \n Hello \t\n", "Hello", nil},
		{"newlines and tabs inside kept", "line 1\r\n\tline 2", "line 1\r\n\tline 2", nil},
		{"empty", "", "", report.ErrEmptyMessage},
		{"whitespace only", " \n\t\r ", "", report.ErrEmptyMessage},
		{"NUL", "a\x00b", "", report.ErrInvalidText},
		{"escape", "a\x1bb", "", report.ErrInvalidText},
		{"DEL", "a\x7fb", "", report.ErrInvalidText},
		{"bell", "\a", "", report.ErrInvalidText},
		{"invalid UTF-8", "a\xffb", "", report.ErrInvalidText},
		{"truncated multi-byte", "abc\xc3", "", report.ErrInvalidText},
		{"exactly the maximum", max, max, nil},
		{"exactly the maximum counted in characters", maxMulti, maxMulti, nil},
		{"maximum after trimming", "  " + max + "\n", max, nil},
		{"one over the maximum", max + "x", "", report.ErrMessageTooLong},
		{"one multi-byte character over", maxMulti + "ø", "", report.ErrMessageTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := report.CheckText(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("CheckText: error %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("CheckText = %q (%d bytes), want %q (%d bytes)", trunc(got), len(got), trunc(tt.want), len(tt.want))
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

type env struct {
	db      *store.DB
	blobs   *blob.FS
	blobDir string
	channel store.Channel
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	if err := org.Init(ctx, db, tenant, "Test Org", testNow); err != nil {
		t.Fatal(err)
	}
	ch, err := db.Channel(ctx, tenant, org.DefaultChannel)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fs, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, blobs: fs, blobDir: dir, channel: ch}
}

// commit creates a report with the given answer and, optionally, one file.
func (e *env) commit(t *testing.T, what string, withFile bool) (*report.Draft, store.Report) {
	t.Helper()
	ctx := context.Background()
	d, err := report.NewDraft(tenant)
	if err != nil {
		t.Fatal(err)
	}
	if withFile {
		if err := d.AddFile(ctx, e.blobs, "evidence.txt", "text/plain", strings.NewReader("file body "+what), 1<<20, testNow); err != nil {
			t.Fatal(err)
		}
	}
	lookup := keys.NewKey()
	_, err = d.Commit(ctx, e.db, report.Submission{
		Channel:  e.channel,
		Content:  questionnaire.Answers{"what": what},
		Identity: questionnaire.Answers{"identity_name": "Kari " + what},
		Receipt:  keys.ReceiptKeys{Lookup: lookup[:], Key: keys.NewKey()},
		Now:      testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.db.Report(ctx, tenant, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d, r
}

func (e *env) blobCount(t *testing.T) int {
	t.Helper()
	n := 0
	if err := e.blobs.Walk(context.Background(), func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) tmpCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.blobDir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestLoadOpensACommittedReport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		d, r := e.commit(t, "fraud in purchasing", true)
		v, err := report.Load(ctx, db, r, d.Keys)
		if err != nil {
			t.Fatal(err)
		}
		if v.Answers["what"] != "fraud in purchasing" || v.Identity["identity_name"] != "Kari fraud in purchasing" {
			t.Errorf("answers %v identity %v", v.Answers, v.Identity)
		}
		if len(v.Files) != 1 || v.Files[0].Name != "evidence.txt" {
			t.Fatalf("files %+v", v.Files)
		}
		f, err := report.OpenFile(ctx, db, e.blobs, r, d.Keys.Report, v.Files[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		body, _ := io.ReadAll(f)
		if string(body) != "file body fraud in purchasing" {
			t.Errorf("file body %q", body)
		}
		// CA-2: without the identity key the identity answers stay sealed.
		v, err = report.Load(ctx, db, r, report.Keys{Report: d.Keys.Report})
		if err != nil {
			t.Fatal(err)
		}
		if !v.HasIdentity || v.Identity != nil {
			t.Errorf("without identity key: HasIdentity %v Identity %v", v.HasIdentity, v.Identity)
		}
	})
}

// CA-5: every ciphertext is bound to its place by associated data, so a
// sealed value copied elsewhere (even under the same key) does not open.
func TestSealedAnswersMovedToAnotherReportDoNotOpen(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		_, a := e.commit(t, "report A", false)
		dB, b := e.commit(t, "report B", false)

		swapped := b
		swapped.Answers = a.Answers
		if _, err := report.Load(ctx, db, swapped, dB.Keys); err == nil {
			t.Error("Load opened report B with report A's answers")
		}
		swapped = b
		swapped.IdentityAnswers = a.IdentityAnswers
		if _, err := report.Load(ctx, db, swapped, dB.Keys); err == nil {
			t.Error("Load opened report B with report A's identity answers")
		}
		// Even re-sealed under B's own key, A's answers sealed for A's id do
		// not open as B's: the id is part of the associated data. Simulate
		// by giving B's row A's id while keeping B's ciphertext.
		moved := b
		moved.ID = a.ID
		if _, err := report.Load(ctx, db, moved, dB.Keys); err == nil {
			t.Error("B's answers opened under A's report id")
		}
	})
}

func TestMessageBodyMovedToAnotherMessageIDDoesNotOpen(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		d, r := e.commit(t, "report", false)
		m, err := report.AddMessage(ctx, db, d.Keys.Report, tenant, r.ID, store.AuthorWhistleblower, "", "first message", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := report.Load(ctx, db, r, d.Keys); err != nil || len(v.Messages) != 1 || v.Messages[0].Text != "first message" {
			t.Fatalf("Load before the move: %v %+v", err, v.Messages)
		}
		copyMsg := m
		copyMsg.ID = report.NewID()
		copyMsg.CreatedAt = testNow.Add(time.Second)
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertMessage(ctx, copyMsg) }); err != nil {
			t.Fatal(err)
		}
		if _, err := report.Load(ctx, db, r, d.Keys); err == nil {
			t.Error("Load opened a message body stored under another message id")
		}
	})
}

func TestMessageBodyMovedToAnotherReportDoesNotOpen(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		d, a := e.commit(t, "A", false)
		m, err := report.NewMessage(d.Keys.Report, tenant, a.ID, store.AuthorStaff, "u1", "for A only", testNow)
		if err != nil {
			t.Fatal(err)
		}
		// The same key, but filed under another report id: the report id is
		// part of the message's associated data.
		m.ReportID = "other-report-id"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.InsertMessage(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		other := a
		other.ID = "other-report-id"
		other.Answers = keys.Seal(d.Keys.Report, []byte(`{}`), keys.AD(tenant, "report", other.ID, "answers"))
		other.IdentityAnswers = nil
		if _, err := report.Load(ctx, db, other, d.Keys); err == nil {
			t.Error("a message sealed for report A opened as part of another report")
		}
	})
}

func TestFileMetaMovedToAnotherFileIDDoesNotOpen(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		d, r := e.commit(t, "report", true)
		files, err := db.Files(ctx, tenant, r.ID)
		if err != nil || len(files) != 1 {
			t.Fatalf("files %v %v", files, err)
		}
		// A second file row carrying the first file's sealed metadata and
		// pointing at a fresh blob.
		pf, err := report.StoreFileForReport(ctx, e.blobs, r, d.Keys.Report, "other.txt", "text/plain",
			strings.NewReader("other"), 1<<20, store.AuthorWhistleblower, "", testNow)
		if err != nil {
			t.Fatal(err)
		}
		pf.Row.Meta = files[0].Meta
		if err := report.AddFiles(ctx, db, e.blobs, tenant, r.ID, []report.PendingFile{pf}, testNow); err != nil {
			t.Fatal(err)
		}
		if _, err := report.Load(ctx, db, r, d.Keys); err == nil {
			t.Error("Load opened file metadata stored under another file id")
		}
		if f, err := report.OpenFile(ctx, db, e.blobs, r, d.Keys.Report, pf.Row.ID); err == nil {
			f.Close()
			t.Error("OpenFile opened a file whose metadata was sealed for another file id")
		}
		if f, err := report.OpenFile(ctx, db, e.blobs, r, d.Keys.Report, files[0].ID); err != nil {
			t.Errorf("the original file no longer opens: %v", err)
		} else {
			f.Close()
		}
	})
}

func TestOpenFileWithAnotherReportsKeyFails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		_, a := e.commit(t, "A", true)
		dB, _ := e.commit(t, "B", false)
		files, err := db.Files(ctx, tenant, a.ID)
		if err != nil || len(files) != 1 {
			t.Fatalf("files %v %v", files, err)
		}
		if f, err := report.OpenFile(ctx, db, e.blobs, a, dB.Keys.Report, files[0].ID); err == nil {
			f.Close()
			t.Error("B's report key opened A's file")
		}
	})
}

func TestDraftDiscardRemovesItsBlobs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.Open(t, store.SQLite))
	d, err := report.NewDraft(tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.txt", "b.txt"} {
		if err := d.AddFile(ctx, e.blobs, name, "", strings.NewReader("body of "+name), 1<<20, testNow); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.blobCount(t); n != 2 {
		t.Fatalf("%d blobs after two uploads, want 2", n)
	}
	d.Discard(ctx, e.blobs)
	if n := e.blobCount(t); n != 0 {
		t.Errorf("%d blobs after Discard, want 0", n)
	}
	if n := e.tmpCount(t); n != 0 {
		t.Errorf("%d temporary files after Discard, want 0", n)
	}
	if len(d.Files) != 0 {
		t.Errorf("draft still lists %d files", len(d.Files))
	}
}

func TestFileOverTheLimitIsRejectedAndLeavesNoBlob(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.Open(t, store.SQLite))
	const limit = 100 << 10
	tests := []struct {
		name string
		size int
		err  error
	}{
		{"exactly the limit", limit, nil},
		{"one byte over", limit + 1, report.ErrFileTooLarge},
		{"far over", 5 * limit, report.ErrFileTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := report.NewDraft(tenant)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Discard(ctx, e.blobs)
			err = d.AddFile(ctx, e.blobs, "big.bin", "", bytes.NewReader(make([]byte, tt.size)), limit, testNow)
			if !errors.Is(err, tt.err) {
				t.Fatalf("AddFile of %d bytes: %v, want %v", tt.size, err, tt.err)
			}
			want := 0
			if tt.err == nil {
				want = 1
			}
			if n := e.blobCount(t); n != want {
				t.Errorf("%d blobs, want %d", n, want)
			}
			if n := e.tmpCount(t); n != 0 {
				t.Errorf("%d temporary files left, want 0", n)
			}
			if len(d.Files) != want {
				t.Errorf("draft lists %d files, want %d", len(d.Files), want)
			}
		})
	}
}
