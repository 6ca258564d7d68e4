package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// View is a report opened with its keys, ready to show.
type View struct {
	ID             string
	CaseNumber     int64
	ChannelID      string
	Status         string
	ReceivedAt     time.Time
	LastActivityAt time.Time
	// Deadlines and milestones (zero when unset).
	AckDueAt        time.Time
	AcknowledgedAt  time.Time
	FeedbackDueAt   time.Time
	FeedbackGivenAt time.Time
	ClosedAt        time.Time
	Outcome         string
	Questionnaire   questionnaire.Questionnaire
	Answers         questionnaire.Answers
	// HasIdentity tells whether identity answers exist; Identity holds them
	// only when the viewer's keys include the identity key.
	HasIdentity bool
	Identity    questionnaire.Answers
	Files       []FileView
	Messages    []MessageView
}

// FileView describes an attachment without its body.
type FileView struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	AuthorType  string
	CreatedAt   time.Time
	// Metadata is MetadataStripped, MetadataOriginalKept or
	// MetadataNotApplicable; Removed names what stripping took out.
	Metadata string
	Removed  []string
}

// MessageView is one opened message.
type MessageView struct {
	ID         string
	AuthorType string
	AuthorID   string
	Text       string
	CreatedAt  time.Time
}

// LoadQuestionnaire reads the questionnaire version a report was made with.
func LoadQuestionnaire(ctx context.Context, db *store.DB, tenant, id string, version int) (questionnaire.Questionnaire, error) {
	body, err := db.Questionnaire(ctx, tenant, id, version)
	if err != nil {
		return questionnaire.Questionnaire{}, err
	}
	var q questionnaire.Questionnaire
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		return questionnaire.Questionnaire{}, fmt.Errorf("report: decode questionnaire: %w", err)
	}
	return q, nil
}

// Load opens everything in a report that k can open.
func Load(ctx context.Context, db *store.DB, r store.Report, k Keys) (View, error) {
	v := View{ID: r.ID, CaseNumber: r.CaseNumber, ChannelID: r.ChannelID, Status: r.Status,
		ReceivedAt: r.ReceivedAt, LastActivityAt: r.LastActivityAt, HasIdentity: len(r.IdentityAnswers) > 0,
		AckDueAt: r.AckDueAt, AcknowledgedAt: r.AcknowledgedAt, FeedbackDueAt: r.FeedbackDueAt,
		FeedbackGivenAt: r.FeedbackGivenAt, ClosedAt: r.ClosedAt, Outcome: r.Outcome}
	q, err := LoadQuestionnaire(ctx, db, r.TenantID, r.QuestionnaireID, r.QuestionnaireVersion)
	if err != nil {
		return View{}, err
	}
	v.Questionnaire = q
	if err := openJSON(k.Report, r.Answers, adAnswers(r.TenantID, r.ID), &v.Answers); err != nil {
		return View{}, err
	}
	if v.HasIdentity && k.Identity != nil {
		if err := openJSON(*k.Identity, r.IdentityAnswers, adIdentity(r.TenantID, r.ID), &v.Identity); err != nil {
			return View{}, err
		}
	}
	files, err := db.Files(ctx, r.TenantID, r.ID)
	if err != nil {
		return View{}, err
	}
	for _, f := range files {
		var m FileMeta
		if err := openJSON(k.Report, f.Meta, adFileMeta(r.TenantID, r.ID, f.ID), &m); err != nil {
			return View{}, err
		}
		v.Files = append(v.Files, FileView{ID: f.ID, Name: m.Name, ContentType: m.ContentType, Size: m.Size,
			AuthorType: f.AuthorType, CreatedAt: f.CreatedAt, Metadata: m.MetadataState(), Removed: m.Removed})
	}
	msgs, err := db.Messages(ctx, r.TenantID, r.ID)
	if err != nil {
		return View{}, err
	}
	for _, m := range msgs {
		text, err := keys.Open(k.Report, m.Body, adMessage(r.TenantID, r.ID, m.ID))
		if err != nil {
			return View{}, fmt.Errorf("report: open message: %w", err)
		}
		v.Messages = append(v.Messages, MessageView{ID: m.ID, AuthorType: m.AuthorType, AuthorID: m.AuthorID,
			Text: string(text), CreatedAt: m.CreatedAt})
	}
	return v, nil
}

// FileReader is a decrypted attachment body.
type FileReader struct {
	io.Reader
	io.Closer
	Meta FileMeta
}

// OpenFile decrypts an attachment as a stream.
func OpenFile(ctx context.Context, db *store.DB, blobs blob.Store, r store.Report, k keys.Key, fileID string) (*FileReader, error) {
	f, err := db.File(ctx, r.TenantID, r.ID, fileID)
	if err != nil {
		return nil, err
	}
	var meta FileMeta
	if err := openJSON(k, f.Meta, adFileMeta(r.TenantID, r.ID, f.ID), &meta); err != nil {
		return nil, err
	}
	idBytes, err := keys.Open(k, r.FileIdentity, adFileIdentity(r.TenantID, r.ID))
	if err != nil {
		return nil, fmt.Errorf("report: open file identity: %w", err)
	}
	id, err := keys.ParseIdentity(idBytes)
	if err != nil {
		return nil, fmt.Errorf("report: parse file identity: %w", err)
	}
	b, err := blobs.Open(ctx, f.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("report: open blob: %w", err)
	}
	plain, err := id.DecryptStream(b)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("report: decrypt file: %w", err)
	}
	return &FileReader{Reader: plain, Closer: b, Meta: meta}, nil
}

// StoreFileForReport is StoreFile for a committed report, whose file
// recipient is public in the row.
func StoreFileForReport(ctx context.Context, blobs blob.Store, r store.Report, k keys.Key, name, contentType string,
	body io.Reader, maxSize int64, authorType, authorID string, now time.Time) (PendingFile, error) {
	return StoreFile(ctx, blobs, k, r.TenantID, r.ID, r.FileRecipient, name, contentType, body, maxSize, authorType, authorID, now)
}
