// Package report is the sealed content of one report: answers, identity
// answers, messages and files, and the rules for sealing and opening them
// under the report's keys. The whistleblower side (intake) and the staff side
// (cases) both read and write reports through it, so the associated data
// that binds each ciphertext to its place is defined once, here.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Statuses a report can be in. Case workflow extends these later.
const (
	StatusReceived = "received"
)

// Wrap algorithms recorded with each wrapped key, so parameters can change later.
const (
	AlgAgeX25519 = "age-x25519-v1"
	AlgSealV1    = "xchacha20poly1305-v1"
)

// MaxMessageLen bounds a message in characters.
const MaxMessageLen = 20000

var (
	// ErrFileTooLarge is returned when an upload passes the size limit.
	ErrFileTooLarge = errors.New("file is larger than the limit")
	// ErrEmptyMessage and ErrMessageTooLong reject message text.
	ErrEmptyMessage   = errors.New("message is empty")
	ErrMessageTooLong = errors.New("message is too long")
	// ErrInvalidText rejects text that is not UTF-8 or carries control characters.
	ErrInvalidText = errors.New("text is not valid UTF-8 or contains control characters")
	// ErrNoAccess means the caller holds no key for the report; callers answer
	// it as "not found" so ids of other cases reveal nothing.
	ErrNoAccess = errors.New("no access to this report")
)

// DeadlinePolicy is the statutory deadline policy of a channel, counted in
// the organisation's time zone.
func DeadlinePolicy(ch store.Channel, t store.Tenant) (deadline.Policy, error) {
	loc, err := deadline.LoadLocation(t.TimeZone)
	if err != nil {
		return deadline.Policy{}, fmt.Errorf("report: organisation time zone: %w", err)
	}
	return deadline.Policy{AckDays: ch.AckDays, FeedbackMonths: ch.FeedbackMonths, Location: loc}, nil
}

// NewID returns a random identifier that is also a valid blob key.
func NewID() string { return store.NewID() }

// Keys are the unlocked keys of one report.
type Keys struct {
	Report   keys.Key
	Identity *keys.Key // nil when the holder may not read the identity answers
	Case     *keys.Key // staff only: seals the journal; the receipt never opens it
}

func adAnswers(tenant, reportID string) []byte {
	return keys.AD(tenant, "report", reportID, "answers")
}
func adIdentity(tenant, reportID string) []byte {
	return keys.AD(tenant, "report", reportID, "identity-answers")
}
func adFileIdentity(tenant, reportID string) []byte {
	return keys.AD(tenant, "report", reportID, "file-identity")
}
func adMessage(tenant, reportID, messageID string) []byte {
	return keys.AD(tenant, "report", reportID, "message", messageID)
}

// ADExclusions binds the sealed list of excluded handlers to its case.
func ADExclusions(tenant, reportID string) []byte {
	return keys.AD(tenant, "report", reportID, "exclusions")
}

// ADJournal binds a sealed journal entry to its case and entry id.
func ADJournal(tenant, reportID, entryID string) []byte {
	return keys.AD(tenant, "report", reportID, "journal", entryID)
}
func adFileMeta(tenant, reportID, fileID string) []byte {
	return keys.AD(tenant, "report", reportID, "file", fileID, "meta")
}

// ADReceiptWrap binds a report key sealed under the whistleblower key.
func ADReceiptWrap(tenant, reportID, kind string) []byte {
	return keys.AD(tenant, "report", reportID, "wrap", kind, "receipt")
}

// SealAnswers seals answers as JSON under k with the given associated data.
func sealJSON(k keys.Key, v any, ad []byte) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("report: encode: %w", err)
	}
	return keys.Seal(k, b, ad), nil
}

// OpenJSON opens a sealed JSON value.
func OpenJSON(k keys.Key, sealed, ad []byte, v any) error { return openJSON(k, sealed, ad, v) }

func openJSON(k keys.Key, sealed, ad []byte, v any) error {
	b, err := keys.Open(k, sealed, ad)
	if err != nil {
		return fmt.Errorf("report: open: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("report: decode: %w", err)
	}
	return nil
}

// CheckText validates message text the same way for both sides.
func CheckText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", ErrInvalidText
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return "", ErrInvalidText
		}
	}
	if s == "" {
		return "", ErrEmptyMessage
	}
	if utf8.RuneCountInString(s) > MaxMessageLen {
		return "", ErrMessageTooLong
	}
	return s, nil
}

// FileMeta is what is sealed about a file besides its body.
type FileMeta struct {
	Name        string `json:"name"`
	ContentType string `json:"type"`
	Size        int64  `json:"size"`
	// Metadata stripping at intake (RC-5): Stripped when the body is a
	// cleaned copy, Removed naming what was taken out (scrub field names),
	// KeptOriginal when the whistleblower chose to keep a file that
	// reveals something exactly as it was.
	Stripped     bool     `json:"stripped"`
	Removed      []string `json:"removed,omitempty"`
	KeptOriginal bool     `json:"kept_original,omitempty"`
}

// Metadata states of a file, as the staff case view shows them.
const (
	MetadataStripped      = "stripped"
	MetadataOriginalKept  = "original_kept"
	MetadataNotApplicable = "not_applicable"
)

// MetadataState tells what happened to the file's metadata at intake.
func (m FileMeta) MetadataState() string {
	switch {
	case m.Stripped:
		return MetadataStripped
	case m.KeptOriginal:
		return MetadataOriginalKept
	}
	return MetadataNotApplicable
}

// CleanFileName keeps a file name displayable and harmless: the base name
// only, no control characters, bounded length.
func CleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unsafeInFileName(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// unsafeInFileName reports characters that must not reach a file name
// shown to a handler: control characters (C0 and C1), and the bidirectional
// controls that can make "invoice\u202Efdp.exe" display as "invoiceexe.pdf".
func unsafeInFileName(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f, r == utf8.RuneError:
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// countingWriter stops a stream once it passes the limit.
type limitWriter struct {
	w     io.Writer
	n     int64
	limit int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > l.limit {
		return 0, ErrFileTooLarge
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// PendingFile is an uploaded file whose encrypted body is committed to the
// blob store but whose row is not yet written. Until the row commits it is
// an orphan that the sweeper removes.
type PendingFile struct {
	Row store.File
}

// StoreFile streams r through age to the report's file recipient into a new
// blob, sealing the name and type under the report key. Nothing is held in
// memory beyond the copy buffer and nothing plaintext touches the disk.
func StoreFile(ctx context.Context, blobs blob.Store, k keys.Key, tenant, reportID, recipient string,
	name, contentType string, r io.Reader, maxSize int64, authorType, authorID string, now time.Time) (PendingFile, error) {
	fileID := NewID()
	blobKey := NewID()
	w, err := blobs.Create(ctx, blobKey)
	if err != nil {
		return PendingFile{}, fmt.Errorf("report: create blob: %w", err)
	}
	enc, err := keys.EncryptStream(w, recipient)
	if err != nil {
		w.Abort()
		return PendingFile{}, fmt.Errorf("report: encrypt file: %w", err)
	}
	lw := &limitWriter{w: enc, limit: maxSize}
	buf := make([]byte, 64*1024)
	if _, err := io.CopyBuffer(lw, r, buf); err != nil {
		w.Abort()
		if errors.Is(err, ErrFileTooLarge) {
			return PendingFile{}, ErrFileTooLarge
		}
		return PendingFile{}, fmt.Errorf("report: store file: %w", err)
	}
	if err := enc.Close(); err != nil {
		w.Abort()
		return PendingFile{}, fmt.Errorf("report: finish file: %w", err)
	}
	if err := w.Commit(); err != nil {
		return PendingFile{}, fmt.Errorf("report: commit blob: %w", err)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	meta, err := sealJSON(k, FileMeta{Name: CleanFileName(name), ContentType: contentType, Size: lw.n}, adFileMeta(tenant, reportID, fileID))
	if err != nil {
		blobs.Delete(ctx, blobKey)
		return PendingFile{}, err
	}
	return PendingFile{Row: store.File{TenantID: tenant, ID: fileID, ReportID: reportID, BlobKey: blobKey, Meta: meta,
		AuthorType: authorType, AuthorID: authorID, CreatedAt: now}}, nil
}

// DiscardFiles removes the blobs of files that will not be committed.
func DiscardFiles(ctx context.Context, blobs blob.Store, files []PendingFile) {
	for _, f := range files {
		blobs.Delete(context.WithoutCancel(ctx), f.Row.BlobKey)
	}
}

// NewMessage seals a message row.
func NewMessage(k keys.Key, tenant, reportID, authorType, authorID, text string, now time.Time) (store.Message, error) {
	text, err := CheckText(text)
	if err != nil {
		return store.Message{}, err
	}
	id := NewID()
	return store.Message{TenantID: tenant, ID: id, ReportID: reportID, AuthorType: authorType, AuthorID: authorID,
		Body: keys.Seal(k, []byte(text), adMessage(tenant, reportID, id)), CreatedAt: now}, nil
}

// AddMessage stores a message and marks activity on the report.
func AddMessage(ctx context.Context, db *store.DB, k keys.Key, tenant, reportID, authorType, authorID, text string, now time.Time) (store.Message, error) {
	m, err := NewMessage(k, tenant, reportID, authorType, authorID, text, now)
	if err != nil {
		return store.Message{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		return tx.TouchReport(ctx, tenant, reportID, now)
	})
	return m, err
}

// AddFiles commits already stored files to a report in one transaction; on
// failure their blobs are removed.
func AddFiles(ctx context.Context, db *store.DB, blobs blob.Store, tenant, reportID string, files []PendingFile, now time.Time) error {
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return InsertFiles(ctx, tx, tenant, reportID, files, now)
	})
	if err != nil {
		DiscardFiles(ctx, blobs, files)
	}
	return err
}
