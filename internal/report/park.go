package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// DraftSecret is the key material of a draft that is parked between two
// requests (the metadata confirmation step). It must only ever be stored
// sealed.
type DraftSecret struct {
	ID           string `json:"id"`
	Report       []byte `json:"report"`
	Identity     []byte `json:"identity"`
	Case         []byte `json:"case"`
	FileIdentity []byte `json:"file_identity"`
}

// Secret returns the draft's keys for sealing.
func (d *Draft) Secret() DraftSecret {
	return DraftSecret{ID: d.ID, Report: slices.Clone(d.Keys.Report[:]), Identity: slices.Clone(d.Keys.Identity[:]),
		Case: slices.Clone(d.Keys.Case[:]), FileIdentity: d.fileIdentity.Bytes()}
}

// RestoreDraft rebuilds a parked draft from its secret and its files.
func RestoreDraft(tenant string, s DraftSecret, files []PendingFile) (*Draft, error) {
	n := len(keys.Key{})
	if len(s.Report) != n || len(s.Identity) != n || len(s.Case) != n || s.ID == "" {
		return nil, fmt.Errorf("report: restore draft: malformed keys")
	}
	id, err := keys.ParseIdentity(s.FileIdentity)
	if err != nil {
		return nil, fmt.Errorf("report: restore draft: %w", err)
	}
	var rk, ik, ck keys.Key
	copy(rk[:], s.Report)
	copy(ik[:], s.Identity)
	copy(ck[:], s.Case)
	return &Draft{Tenant: tenant, ID: s.ID, Keys: Keys{Report: rk, Identity: &ik, Case: &ck}, fileIdentity: id, Files: files}, nil
}

// FileMeta opens the sealed metadata of the draft's file i.
func (d *Draft) FileMeta(i int) (FileMeta, error) {
	var m FileMeta
	f := d.Files[i].Row
	err := openJSON(d.Keys.Report, f.Meta, adFileMeta(d.Tenant, d.ID, f.ID), &m)
	return m, err
}

// SetFileMeta re-seals the metadata of the draft's file i.
func (d *Draft) SetFileMeta(i int, m FileMeta) error {
	f := &d.Files[i].Row
	sealed, err := sealJSON(d.Keys.Report, m, adFileMeta(d.Tenant, d.ID, f.ID))
	if err != nil {
		return err
	}
	f.Meta = sealed
	return nil
}

// memoryBound is the largest file body a DraftFile holds in memory for
// random access; larger ones are read through age's random-access
// decryption of the blob, so no plaintext touches the disk either way.
const memoryBound = 64 << 20

// DraftFile is the decrypted body of a draft's file, with random access.
type DraftFile struct {
	io.ReaderAt
	Size   int64
	closer io.Closer
}

// Close releases the blob.
func (f *DraftFile) Close() error { return f.closer.Close() }

// OpenFile decrypts the draft's file i for random access: in memory when
// it is small, through the blob's ReaderAt otherwise.
func (d *Draft) OpenFile(ctx context.Context, blobs blob.Store, i int) (*DraftFile, error) {
	b, err := blobs.Open(ctx, d.Files[i].Row.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("report: open blob: %w", err)
	}
	ra, n, err := d.fileIdentity.DecryptReaderAt(b, b.Size())
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("report: decrypt file: %w", err)
	}
	if n > memoryBound {
		return &DraftFile{ReaderAt: ra, Size: n, closer: b}, nil
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(io.NewSectionReader(ra, 0, n), buf); err != nil {
		b.Close()
		return nil, fmt.Errorf("report: decrypt file: %w", err)
	}
	return &DraftFile{ReaderAt: bytes.NewReader(buf), Size: n, closer: b}, nil
}

// ReplaceFile writes a new encrypted body for the draft's file i through
// write (which streams the plaintext) and seals meta, whose Size is set to
// what write produced. The old blob is left in place: the caller deletes
// it once the report has committed. It returns the old blob key.
func (d *Draft) ReplaceFile(ctx context.Context, blobs blob.Store, i int, meta FileMeta, maxSize int64,
	write func(w io.Writer) error) (oldBlob string, err error) {
	newKey := NewID()
	w, err := blobs.Create(ctx, newKey)
	if err != nil {
		return "", fmt.Errorf("report: create blob: %w", err)
	}
	enc, err := keys.EncryptStream(w, d.fileIdentity.Recipient())
	if err != nil {
		w.Abort()
		return "", fmt.Errorf("report: encrypt file: %w", err)
	}
	lw := &limitWriter{w: enc, limit: maxSize}
	if err := write(lw); err != nil {
		w.Abort()
		return "", err
	}
	if err := enc.Close(); err != nil {
		w.Abort()
		return "", fmt.Errorf("report: finish file: %w", err)
	}
	if err := w.Commit(); err != nil {
		return "", fmt.Errorf("report: commit blob: %w", err)
	}
	meta.Size = lw.n
	row := d.Files[i].Row
	sealed, err := sealJSON(d.Keys.Report, meta, adFileMeta(d.Tenant, d.ID, row.ID))
	if err != nil {
		blobs.Delete(context.WithoutCancel(ctx), newKey)
		return "", err
	}
	oldBlob = row.BlobKey
	row.BlobKey, row.Meta = newKey, sealed
	d.Files[i].Row = row
	return oldBlob, nil
}

// Rows returns the draft's file rows (for parking them sealed).
func (d *Draft) Rows() []store.File {
	out := make([]store.File, len(d.Files))
	for i, f := range d.Files {
		out[i] = f.Row
	}
	return out
}
