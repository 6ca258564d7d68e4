package intake_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// artistJPEG is a tiny JPEG whose EXIF names its author.
func artistJPEG(t *testing.T, artist string) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	val := append([]byte(artist), 0)
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	tiff = le.AppendUint16(tiff, 1)
	tiff = le.AppendUint16(tiff, 0x013B) // Artist
	tiff = le.AppendUint16(tiff, 2)
	tiff = le.AppendUint32(tiff, uint32(len(val)))
	tiff = le.AppendUint32(tiff, 8+2+12+4)
	tiff = le.AppendUint32(tiff, 0)
	tiff = append(tiff, val...)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(out[4:], uint16(len(payload)+2))
	out = append(append(out, payload...), enc.Bytes()[2:]...)
	if rep, err := scrub.Inspect(bytes.NewReader(out), int64(len(out)), scrub.KindJPEG); err != nil || !rep.Has(scrub.FieldAuthor) {
		t.Fatalf("fixture: %+v %v", rep, err)
	}
	return out
}

func (e *env) whistleblower(t *testing.T) *intake.Whistleblower {
	t.Helper()
	ctx := context.Background()
	token, err := e.svc.Login(ctx, e.submit(t, validAnswers()).Code)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := e.svc.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return wb
}

func (e *env) store(t *testing.T, wb *intake.Whistleblower, name string, body []byte) report.PendingFile {
	t.Helper()
	f, err := e.svc.StoreFile(context.Background(), wb, name, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// RC-5: a parked batch of added files opens only with its token and the
// keys of its own report; used once, it is gone, and stripping replaced
// the original blob.
func TestAddedFilesParkedBatchIsBoundToItsReport(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a, b := e.whistleblower(t), e.whistleblower(t)
		checks, token, err := e.svc.AddFiles(ctx, a, []report.PendingFile{e.store(t, a, "p.jpg", artistJPEG(t, "Kari Nordmann"))})
		if err != nil || token == "" || len(checks) != 1 || !checks[0].Reveals() {
			t.Fatalf("AddFiles = %+v, %q, %v", checks, token, err)
		}
		if _, err := e.svc.ConfirmAdded(ctx, b, token, nil); !errors.Is(err, intake.ErrNoDraft) {
			t.Errorf("another report's whistleblower: %v", err)
		}
		if err := e.svc.CancelAdded(ctx, b, token); !errors.Is(err, intake.ErrNoDraft) {
			t.Errorf("another report's whistleblower cancelling: %v", err)
		}
		if _, err := e.svc.ConfirmAdded(ctx, a, strings.Repeat("A", 43), nil); !errors.Is(err, intake.ErrNoDraft) {
			t.Errorf("a made-up token: %v", err)
		}
		before := e.blobCount(t)
		n, err := e.svc.ConfirmAdded(ctx, a, token, nil)
		if err != nil || n != 1 {
			t.Fatalf("ConfirmAdded = %d, %v", n, err)
		}
		if after := e.blobCount(t); after != before {
			t.Errorf("blobs %d -> %d: the original should be replaced by its cleaned copy", before, after)
		}
		if _, err := e.svc.ConfirmAdded(ctx, a, token, nil); !errors.Is(err, intake.ErrNoDraft) {
			t.Errorf("second confirmation: %v", err)
		}
		v, err := e.svc.View(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Files) != 2 || v.Files[1].Metadata != report.MetadataStripped && v.Files[0].Metadata != report.MetadataStripped {
			t.Errorf("files after confirming: %+v", v.Files)
		}
		if vb, _ := e.svc.View(ctx, b); len(vb.Files) != 1 {
			t.Errorf("the other report has %d files", len(vb.Files))
		}
	})
}

// Files that reveal nothing are added at once, without a token.
func TestAddedPlainFilesAreAddedAtOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := e.whistleblower(t)
		_, token, err := e.svc.AddFiles(ctx, a, []report.PendingFile{e.store(t, a, "n.txt", []byte("plain words"))})
		if err != nil || token != "" {
			t.Fatalf("AddFiles: %q, %v", token, err)
		}
		if v, _ := e.svc.View(ctx, a); len(v.Files) != 2 {
			t.Errorf("%d files, want 2", len(v.Files))
		}
	})
}
