package store

import (
	"context"
	"fmt"
	"time"
)

// CaseExport is one export of a whole case (RT-3). JournalSeq and
// ActivityAt are the case's journal position and last activity when the
// export was made: a case that moved on since is not what the export
// holds. SHA256 (hex) and CompletedAt are set once the zip was streamed
// whole; an aborted download leaves them empty.
type CaseExport struct {
	TenantID    string
	ID          string
	ReportID    string
	CreatedBy   string
	CreatedAt   time.Time
	JournalSeq  int64
	ActivityAt  time.Time
	SHA256      string
	CompletedAt time.Time
}

const caseExportColumns = `tenant_id, export_id, report_id, created_by, created_at, journal_seq, activity_at, sha256, completed_at`

func scanCaseExport(row interface{ Scan(...any) error }) (CaseExport, error) {
	var e CaseExport
	var created, activity int64
	var completed *int64
	if err := row.Scan(&e.TenantID, &e.ID, &e.ReportID, &e.CreatedBy, &created, &e.JournalSeq, &activity, &e.SHA256, &completed); err != nil {
		return CaseExport{}, err
	}
	e.CreatedAt, e.ActivityAt, e.CompletedAt = fromMS(created), fromMS(activity), optMS(completed)
	return e, nil
}

// InsertCaseExport records an export as it starts.
func (tx *Tx) InsertCaseExport(ctx context.Context, e CaseExport) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_exports (`+caseExportColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.TenantID, e.ID, e.ReportID, e.CreatedBy, ms(e.CreatedAt), e.JournalSeq, ms(e.ActivityAt), e.SHA256, nullMS(e.CompletedAt))
	if err != nil {
		return fmt.Errorf("store: insert case export: %w", err)
	}
	return nil
}

// CompleteCaseExport records the digest of a zip streamed whole.
// ErrNotFound when the export is gone (the case was deleted meanwhile).
func (db *DB) CompleteCaseExport(ctx context.Context, tenantID, exportID, sha256Hex string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE case_exports SET sha256 = $3, completed_at = $4
		WHERE tenant_id = $1 AND export_id = $2 AND completed_at IS NULL`, tenantID, exportID, sha256Hex, ms(at))
	if err != nil {
		return fmt.Errorf("store: complete case export: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("store: complete case export: %w", ErrNotFound)
	}
	return nil
}

// CaseExports lists a case's exports, newest first.
func (db *DB) CaseExports(ctx context.Context, tenantID, reportID string) ([]CaseExport, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+caseExportColumns+` FROM case_exports
		WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at DESC, journal_seq DESC`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: case exports: %w", err)
	}
	defer rows.Close()
	var out []CaseExport
	for rows.Next() {
		e, err := scanCaseExport(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan case export: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaseExport loads one export of a case inside tx; ErrNotFound when the
// case has no such export.
func (tx *Tx) CaseExport(ctx context.Context, tenantID, reportID, exportID string) (CaseExport, error) {
	e, err := scanCaseExport(tx.tx.QueryRowContext(ctx, `SELECT `+caseExportColumns+` FROM case_exports
		WHERE tenant_id = $1 AND report_id = $2 AND export_id = $3`, tenantID, reportID, exportID))
	if err != nil {
		return CaseExport{}, fmt.Errorf("store: case export: %w", notFound(err))
	}
	return e, nil
}

// CasePosition reads a case's journal position and last activity inside
// tx (after LockRetentionCase, so nothing moves them until commit).
func (tx *Tx) CasePosition(ctx context.Context, tenantID, reportID string) (journalSeq int64, activity time.Time, err error) {
	var act int64
	err = tx.tx.QueryRowContext(ctx, `SELECT journal_seq, last_activity_at FROM reports WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID).Scan(&journalSeq, &act)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: case position: %w", notFound(err))
	}
	return journalSeq, fromMS(act), nil
}

// SetReportLang records the language tag the whistleblower used.
func (tx *Tx) SetReportLang(ctx context.Context, tenantID, reportID, lang string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE reports SET lang = $3 WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID, lang); err != nil {
		return fmt.Errorf("store: set report language: %w", err)
	}
	return nil
}

// ReportLang loads the language tag of a report; "" when none was recorded.
func (db *DB) ReportLang(ctx context.Context, tenantID, reportID string) (string, error) {
	var lang string
	err := db.read.QueryRowContext(ctx, `SELECT lang FROM reports WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID).Scan(&lang)
	if err != nil {
		return "", fmt.Errorf("store: report language: %w", notFound(err))
	}
	return lang, nil
}

// JournalSeq reads a case's journal position.
func (db *DB) JournalSeq(ctx context.Context, tenantID, reportID string) (int64, error) {
	var seq int64
	err := db.read.QueryRowContext(ctx, `SELECT journal_seq FROM reports WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store: journal position: %w", notFound(err))
	}
	return seq, nil
}
