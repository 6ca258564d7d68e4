package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Redaction states (DA-2): a handler prepares an anonymised copy of a case
// file (draft), submits it, a second handler approves or rejects it, and
// only an approved copy that passed the release gate can be released.
const (
	RedactionDraft     = "draft"
	RedactionSubmitted = "submitted"
	RedactionApproved  = "approved"
	RedactionRejected  = "rejected"
	RedactionReleased  = "released"
)

// Redaction is an anonymised copy of one case file. Body is sealed under
// the case key by internal/cases (findings with their values, decisions,
// manual areas and values, the reason of a rejection, the output's name and
// age identity); the output itself is an age stream in the blob store under
// BlobKey once approved. GateChecks names the checks of the release gate
// that found a confirmed value at the last attempt (check names only, never
// values), GateLeaks how many values they found.
//
// ConversionKey and Conversion keep, for a copy of an office file, the PDF
// its source was converted to (an age stream under ConversionKey; its
// identity and the source's digest sealed in Conversion), so that page
// previews need not convert again. They are a cache, not part of the
// copy: UpdateRedaction leaves them alone, and SetRedactionConversion and
// ClearRedactionConversion change them without moving the version.
type Redaction struct {
	TenantID    string
	ID          string
	ReportID    string
	FileID      string
	State       string
	Version     int64
	Body        []byte
	BlobKey     string
	GateChecks  string
	GateLeaks   int
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedBy   string
	UpdatedAt   time.Time
	SubmittedBy string
	SubmittedAt time.Time
	DecidedBy   string
	DecidedAt   time.Time
	ReleasedBy  string
	ReleasedAt  time.Time

	ConversionKey string
	Conversion    []byte
}

const redactionColumns = `tenant_id, redaction_id, report_id, file_id, state, version, body, blob_key, gate_checks, gate_leaks,
	created_by, created_at, updated_by, updated_at, submitted_by, submitted_at, decided_by, decided_at, released_by, released_at,
	conversion_key, conversion`

func scanRedaction(r rowScanner) (Redaction, error) {
	var x Redaction
	var created, updated int64
	var submitted, decided, released *int64
	err := r.Scan(&x.TenantID, &x.ID, &x.ReportID, &x.FileID, &x.State, &x.Version, &x.Body, &x.BlobKey, &x.GateChecks, &x.GateLeaks,
		&x.CreatedBy, &created, &x.UpdatedBy, &updated, &x.SubmittedBy, &submitted, &x.DecidedBy, &decided, &x.ReleasedBy, &released,
		&x.ConversionKey, &x.Conversion)
	if err != nil {
		return Redaction{}, err
	}
	x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
	x.SubmittedAt, x.DecidedAt, x.ReleasedAt = optMS(submitted), optMS(decided), optMS(released)
	return x, nil
}

// InsertRedaction stores a new draft.
func (tx *Tx) InsertRedaction(ctx context.Context, x Redaction) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_redactions (tenant_id, redaction_id, report_id, file_id, state, version,
		body, blob_key, gate_checks, gate_leaks, created_by, created_at, updated_by, updated_at, conversion_key, conversion)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		x.TenantID, x.ID, x.ReportID, x.FileID, x.State, x.Version, x.Body, x.BlobKey, x.GateChecks, x.GateLeaks,
		x.CreatedBy, ms(x.CreatedAt), x.UpdatedBy, ms(x.UpdatedAt), x.ConversionKey, x.Conversion)
	if err != nil {
		return fmt.Errorf("store: insert redaction: %w", duplicate(err))
	}
	return nil
}

// UpdateRedaction writes x over the stored row if the row is still at
// version from; x.Version must be from+1. Two handlers acting on the same
// copy at once cannot both win: the second gets ErrStateChanged.
func (tx *Tx) UpdateRedaction(ctx context.Context, x Redaction, from int64) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_redactions SET state = $4, version = $5, body = $6, blob_key = $7,
		gate_checks = $8, gate_leaks = $9, updated_by = $10, updated_at = $11, submitted_by = $12, submitted_at = $13,
		decided_by = $14, decided_at = $15, released_by = $16, released_at = $17
		WHERE tenant_id = $1 AND report_id = $2 AND redaction_id = $3 AND version = $18`,
		x.TenantID, x.ReportID, x.ID, x.State, x.Version, x.Body, x.BlobKey, x.GateChecks, x.GateLeaks,
		x.UpdatedBy, ms(x.UpdatedAt), x.SubmittedBy, optMSArg(x.SubmittedAt), x.DecidedBy, optMSArg(x.DecidedAt),
		x.ReleasedBy, optMSArg(x.ReleasedAt), from)
	if err != nil {
		return fmt.Errorf("store: update redaction: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: update redaction: %w", err)
	}
	if n != 1 {
		return ErrStateChanged
	}
	return nil
}

// Redactions lists a case's anonymised copies, oldest first.
func (db *DB) Redactions(ctx context.Context, tenantID, reportID string) ([]Redaction, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+redactionColumns+` FROM case_redactions
		WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, redaction_id`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: redactions: %w", err)
	}
	defer rows.Close()
	var out []Redaction
	for rows.Next() {
		x, err := scanRedaction(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan redaction: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Redaction loads one anonymised copy of a case.
func (db *DB) Redaction(ctx context.Context, tenantID, reportID, redactionID string) (Redaction, error) {
	x, err := scanRedaction(db.read.QueryRowContext(ctx, `SELECT `+redactionColumns+` FROM case_redactions
		WHERE tenant_id = $1 AND report_id = $2 AND redaction_id = $3`, tenantID, reportID, redactionID))
	if err != nil {
		return Redaction{}, fmt.Errorf("store: redaction: %w", notFound(err))
	}
	return x, nil
}

// SetRedactionConversion records the kept conversion of a copy that has
// none and no output yet (a copy approved meanwhile needs none): key names
// its blob, sealed its sealed description. Otherwise, and when the copy is
// gone, it returns ErrStateChanged and the caller deletes the blob.
func (db *DB) SetRedactionConversion(ctx context.Context, tenantID, reportID, redactionID, key string, sealed []byte) error {
	res, err := db.write.ExecContext(ctx, `UPDATE case_redactions SET conversion_key = $4, conversion = $5
		WHERE tenant_id = $1 AND report_id = $2 AND redaction_id = $3 AND conversion_key = '' AND blob_key = ''`,
		tenantID, reportID, redactionID, key, sealed)
	if err != nil {
		return fmt.Errorf("store: set redaction conversion: %w", err)
	}
	return oneRow(res, "set redaction conversion")
}

// ClearRedactionConversion forgets the kept conversion of a copy if it
// is still the one under key; ErrStateChanged otherwise. The caller
// deletes the blob.
func (db *DB) ClearRedactionConversion(ctx context.Context, tenantID, reportID, redactionID, key string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE case_redactions SET conversion_key = '', conversion = NULL
		WHERE tenant_id = $1 AND report_id = $2 AND redaction_id = $3 AND conversion_key = $4`,
		tenantID, reportID, redactionID, key)
	if err != nil {
		return fmt.Errorf("store: clear redaction conversion: %w", err)
	}
	return oneRow(res, "clear redaction conversion")
}

func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n != 1 {
		return ErrStateChanged
	}
	return nil
}

// redactionBlobs lists the blobs of a case's copies (outputs and kept
// conversions), or of the copies of one file when fileID is set.
func (tx *Tx) redactionBlobs(ctx context.Context, tenantID, reportID, fileID string) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT blob_key, conversion_key FROM case_redactions
		WHERE tenant_id = $1 AND report_id = $2 AND ($3 = '' OR file_id = $3) AND (blob_key <> '' OR conversion_key <> '')`,
		tenantID, reportID, fileID)
	if err != nil {
		return nil, fmt.Errorf("store: list redaction blobs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var output, conversion string
		if err := rows.Scan(&output, &conversion); err != nil {
			return nil, fmt.Errorf("store: scan redaction blob: %w", err)
		}
		for _, k := range []string{output, conversion} {
			if k != "" {
				out = append(out, k)
			}
		}
	}
	return out, rows.Err()
}

// deleteFileRedactions removes the anonymised copies of a purged file and
// returns their blobs: a copy must not outlive its original.
func (tx *Tx) deleteFileRedactions(ctx context.Context, tenantID, reportID, fileID string) ([]string, error) {
	blobs, err := tx.redactionBlobs(ctx, tenantID, reportID, fileID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_redactions WHERE tenant_id = $1 AND report_id = $2 AND file_id = $3`,
		tenantID, reportID, fileID); err != nil {
		return nil, fmt.Errorf("store: delete file redactions: %w", err)
	}
	return blobs, nil
}
