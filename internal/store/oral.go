package store

import (
	"context"
	"fmt"
	"time"
)

// Oral reports and their transcripts (issue 3; JR-2, JR-3; Directive art.
// 18(2)–(4)). A handler records a report made by phone or in a meeting;
// the minutes or transcript are versions sealed under the report key, so
// that the whistleblower can read, correct and approve them with the
// receipt. Rows hold ids, states and times only; text is sealed.

// OralReport records that a case was created by a handler from an oral
// report, how, and whether the whistleblower consented to a recording.
type OralReport struct {
	TenantID         string
	ReportID         string
	Source           string // "phone" or "meeting"
	ConsentRecording bool
	CreatedBy        string
	CreatedAt        time.Time
}

// InsertOralReport stores the oral-report record of a new case.
func (tx *Tx) InsertOralReport(ctx context.Context, o OralReport) error {
	consent := 0
	if o.ConsentRecording {
		consent = 1
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO oral_reports (tenant_id, report_id, source, consent_recording, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, o.TenantID, o.ReportID, o.Source, consent, o.CreatedBy, ms(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert oral report: %w", duplicate(err))
	}
	return nil
}

// OralReportOf returns a case's oral-report record; ErrNotFound if the
// case was not created from an oral report.
func (db *DB) OralReportOf(ctx context.Context, tenantID, reportID string) (OralReport, error) {
	var o OralReport
	var consent, created int64
	err := db.read.QueryRowContext(ctx, `SELECT tenant_id, report_id, source, consent_recording, created_by, created_at
		FROM oral_reports WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID).
		Scan(&o.TenantID, &o.ReportID, &o.Source, &consent, &o.CreatedBy, &created)
	if err != nil {
		return OralReport{}, fmt.Errorf("store: oral report: %w", notFound(err))
	}
	o.ConsentRecording, o.CreatedAt = consent != 0, fromMS(created)
	return o, nil
}

// Transcript states (JR-3).
const (
	TranscriptDraft     = "draft"     // written by a handler, not yet shown to the whistleblower
	TranscriptSent      = "sent"      // shown to the whistleblower for checking
	TranscriptCorrected = "corrected" // a corrected text proposed by the whistleblower
	TranscriptApproved  = "approved"  // signed by the whistleblower: fixed
)

// Transcript is one version of a transcript or minutes document. DocID
// is the id of the document's first version; Version counts from 1.
type Transcript struct {
	TenantID   string
	ID         string
	ReportID   string
	DocID      string
	Version    int64
	Supersedes string
	State      string
	AuthorType string
	AuthorID   string
	Body       []byte // sealed under the report key
	Signature  []byte // set at approval: a MAC under a key derived from the report key
	CreatedAt  time.Time
	SentAt     time.Time
	ApprovedAt time.Time
}

const transcriptColumns = `tenant_id, transcript_id, report_id, doc_id, version, supersedes, state, author_type, author_id,
	body, signature, created_at, sent_at, approved_at`

func scanTranscript(r rowScanner) (Transcript, error) {
	var t Transcript
	var created int64
	var sent, approved *int64
	err := r.Scan(&t.TenantID, &t.ID, &t.ReportID, &t.DocID, &t.Version, &t.Supersedes, &t.State, &t.AuthorType, &t.AuthorID,
		&t.Body, &t.Signature, &created, &sent, &approved)
	if err != nil {
		return Transcript{}, err
	}
	t.CreatedAt, t.SentAt, t.ApprovedAt = fromMS(created), optMS(sent), optMS(approved)
	return t, nil
}

func optMSArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// InsertTranscript stores a new version. A version number taken twice
// (two writers at once) fails with ErrDuplicate.
func (tx *Tx) InsertTranscript(ctx context.Context, t Transcript) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO transcripts (`+transcriptColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		t.TenantID, t.ID, t.ReportID, t.DocID, t.Version, t.Supersedes, t.State, t.AuthorType, t.AuthorID,
		t.Body, t.Signature, ms(t.CreatedAt), optMSArg(t.SentAt), optMSArg(t.ApprovedAt))
	if err != nil {
		return fmt.Errorf("store: insert transcript: %w", duplicate(err))
	}
	return nil
}

// SetTranscriptState moves a version from one state to another; it
// reports false when the version was not in state from (someone else
// moved it first).
func (tx *Tx) SetTranscriptState(ctx context.Context, tenantID, id, from, to string, at time.Time, signature []byte) (bool, error) {
	col := "sent_at"
	if to == TranscriptApproved {
		col = "approved_at"
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE transcripts SET state = $1, `+col+` = $2, signature = $3
		WHERE tenant_id = $4 AND transcript_id = $5 AND state = $6`, to, ms(at), signature, tenantID, id, from)
	if err != nil {
		return false, fmt.Errorf("store: transcript state: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: transcript state: %w", err)
	}
	return n == 1, nil
}

// Transcripts lists a case's transcript versions, by document and version.
func (db *DB) Transcripts(ctx context.Context, tenantID, reportID string) ([]Transcript, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+transcriptColumns+` FROM transcripts
		WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, doc_id, version`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: transcripts: %w", err)
	}
	defer rows.Close()
	var out []Transcript
	for rows.Next() {
		t, err := scanTranscript(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan transcript: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
