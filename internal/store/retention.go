package store

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// RetentionPolicy is how long one data category of one channel is kept
// after a case closes. ConfirmedAt is zero until an admin confirms it;
// the deletion job deletes nothing under an unconfirmed policy.
type RetentionPolicy struct {
	TenantID    string
	ChannelID   string
	Category    string
	Months      int
	ConfirmedBy string
	ConfirmedAt time.Time
	UpdatedBy   string
	UpdatedAt   time.Time
}

// RetentionPolicies lists a tenant's stored policies.
func (db *DB) RetentionPolicies(ctx context.Context, tenantID string) ([]RetentionPolicy, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, channel_id, category, months, confirmed_by, confirmed_at, updated_by, updated_at
		FROM retention_policies WHERE tenant_id = $1 ORDER BY channel_id, category`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: retention policies: %w", err)
	}
	defer rows.Close()
	var out []RetentionPolicy
	for rows.Next() {
		var p RetentionPolicy
		var confirmed *int64
		var updated int64
		if err := rows.Scan(&p.TenantID, &p.ChannelID, &p.Category, &p.Months, &p.ConfirmedBy, &confirmed, &p.UpdatedBy, &updated); err != nil {
			return nil, fmt.Errorf("store: scan retention policy: %w", err)
		}
		p.ConfirmedAt = optMS(confirmed)
		p.UpdatedAt = fromMS(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutRetentionPolicy inserts or replaces a policy.
func (tx *Tx) PutRetentionPolicy(ctx context.Context, p RetentionPolicy) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO retention_policies
		(tenant_id, channel_id, category, months, confirmed_by, confirmed_at, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, channel_id, category) DO UPDATE SET months = excluded.months,
			confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		p.TenantID, p.ChannelID, p.Category, p.Months, p.ConfirmedBy, nullMS(p.ConfirmedAt), p.UpdatedBy, ms(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put retention policy: %w", err)
	}
	return nil
}

// CaseHold is a legal hold on a case (RT-2). The reason is sealed under
// the case key.
type CaseHold struct {
	TenantID string
	ReportID string
	Reason   []byte
	PlacedBy string
	PlacedAt time.Time
}

// InsertHold places a hold; ErrDuplicate when the case is already held.
func (tx *Tx) InsertHold(ctx context.Context, h CaseHold) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_holds (tenant_id, report_id, reason, placed_by, placed_at)
		VALUES ($1, $2, $3, $4, $5)`, h.TenantID, h.ReportID, h.Reason, h.PlacedBy, ms(h.PlacedAt))
	if err != nil {
		return fmt.Errorf("store: insert hold: %w", duplicate(err))
	}
	return nil
}

// DeleteHold releases a hold; ErrNotFound when there is none.
func (tx *Tx) DeleteHold(ctx context.Context, tenantID, reportID string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM case_holds WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID)
	if err != nil {
		return fmt.Errorf("store: delete hold: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Hold loads a case's hold; ErrNotFound when it has none.
func (db *DB) Hold(ctx context.Context, tenantID, reportID string) (CaseHold, error) {
	h := CaseHold{TenantID: tenantID, ReportID: reportID}
	var placed int64
	err := db.read.QueryRowContext(ctx, `SELECT reason, placed_by, placed_at FROM case_holds
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID).Scan(&h.Reason, &h.PlacedBy, &placed)
	if err != nil {
		return CaseHold{}, fmt.Errorf("store: hold: %w", notFound(err))
	}
	h.PlacedAt = fromMS(placed)
	return h, nil
}

// RetentionExtension lengthens one case's retention, once.
type RetentionExtension struct {
	TenantID   string
	ReportID   string
	Months     int
	ExtendedBy string
	ExtendedAt time.Time
}

// InsertRetentionExtension records the extension; ErrDuplicate when the
// case was extended before.
func (tx *Tx) InsertRetentionExtension(ctx context.Context, e RetentionExtension) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO retention_extensions (tenant_id, report_id, months, extended_by, extended_at)
		VALUES ($1, $2, $3, $4, $5)`, e.TenantID, e.ReportID, e.Months, e.ExtendedBy, ms(e.ExtendedAt))
	if err != nil {
		return fmt.Errorf("store: insert retention extension: %w", duplicate(err))
	}
	return nil
}

// RetentionCase is what the retention rules need to know about a case.
type RetentionCase struct {
	TenantID        string
	ReportID        string
	CaseNumber      int64
	ChannelID       string
	Status          string
	ClosedAt        time.Time // zero while open
	LastActivityAt  time.Time
	Held            bool
	ExtensionMonths int
}

const retentionCaseColumns = `r.tenant_id, r.report_id, r.case_number, r.channel_id, r.status, r.closed_at, r.last_activity_at,
	(SELECT COUNT(*) FROM case_holds h WHERE h.tenant_id = r.tenant_id AND h.report_id = r.report_id),
	COALESCE((SELECT x.months FROM retention_extensions x WHERE x.tenant_id = r.tenant_id AND x.report_id = r.report_id), 0)`

type retentionScanner interface{ Scan(dest ...any) error }

func scanRetentionCase(s retentionScanner) (RetentionCase, error) {
	var c RetentionCase
	var closed *int64
	var activity, held int64
	if err := s.Scan(&c.TenantID, &c.ReportID, &c.CaseNumber, &c.ChannelID, &c.Status, &closed, &activity, &held, &c.ExtensionMonths); err != nil {
		return RetentionCase{}, err
	}
	c.ClosedAt = optMS(closed)
	c.LastActivityAt = fromMS(activity)
	c.Held = held > 0
	return c, nil
}

// RetentionCases lists the closed cases that closed at or before
// closedBefore, oldest first. With holderID set, only the cases that user
// holds the report key for.
func (db *DB) RetentionCases(ctx context.Context, tenantID string, closedBefore time.Time, holderID string) ([]RetentionCase, error) {
	q := `SELECT ` + retentionCaseColumns + ` FROM reports r
		WHERE r.tenant_id = $1 AND r.closed_at IS NOT NULL AND r.closed_at <= $2`
	args := []any{tenantID, ms(closedBefore)}
	if holderID != "" {
		q += ` AND EXISTS (SELECT 1 FROM report_keys k WHERE k.tenant_id = r.tenant_id AND k.report_id = r.report_id
			AND k.key_kind = 'report' AND k.holder_type = 'user' AND k.holder_id = $3)`
		args = append(args, holderID)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY r.closed_at, r.report_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: retention cases: %w", err)
	}
	defer rows.Close()
	var out []RetentionCase
	for rows.Next() {
		c, err := scanRetentionCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan retention case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RetentionCase loads one case's retention facts.
func (db *DB) RetentionCase(ctx context.Context, tenantID, reportID string) (RetentionCase, error) {
	c, err := scanRetentionCase(db.read.QueryRowContext(ctx, `SELECT `+retentionCaseColumns+` FROM reports r
		WHERE r.tenant_id = $1 AND r.report_id = $2`, tenantID, reportID))
	if err != nil {
		return RetentionCase{}, fmt.Errorf("store: retention case: %w", notFound(err))
	}
	return c, nil
}

// LockRetentionCase reloads a case's retention facts inside tx, first
// locking its report row (a no-op UPDATE, which locks on PostgreSQL; SQLite
// has one writer anyway). Placing a hold, extending and every activity
// write the same row, so they cannot slip in between this check and the
// deletion that follows it in tx.
func (tx *Tx) LockRetentionCase(ctx context.Context, tenantID, reportID string) (RetentionCase, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE reports SET journal_seq = journal_seq WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID)
	if err != nil {
		return RetentionCase{}, fmt.Errorf("store: lock retention case: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return RetentionCase{}, err
	} else if n == 0 {
		return RetentionCase{}, ErrNotFound
	}
	c, err := scanRetentionCase(tx.tx.QueryRowContext(ctx, `SELECT `+retentionCaseColumns+` FROM reports r
		WHERE r.tenant_id = $1 AND r.report_id = $2`, tenantID, reportID))
	if err != nil {
		return RetentionCase{}, fmt.Errorf("store: retention case: %w", notFound(err))
	}
	return c, nil
}

// DeletionRecord says that a case's data of one category was deleted,
// when and under which policy. It holds no content.
type DeletionRecord struct {
	TenantID          string
	ID                string
	Category          string
	CaseNumber        int64
	ChannelID         string
	ClosedAt          time.Time
	DeletedAt         time.Time
	PolicyChannelID   string
	PolicyCategory    string
	PolicyMonths      int
	PolicyConfirmedAt time.Time
	// Basis is DeletionRetention, or DeletionExport for a case deleted
	// after its export was confirmed (then with who confirmed it and
	// which export, by id and SHA-256, and no policy).
	Basis        string
	DeletedBy    string
	ExportID     string
	ExportSHA256 string
	// RequestID is the data-subject request a case was erased on (basis
	// DeletionErasure).
	RequestID string
}

// Bases of a deletion.
const (
	DeletionRetention = "retention"
	DeletionExport    = "export"
)

// InsertDeletionRecord appends a deletion record.
func (tx *Tx) InsertDeletionRecord(ctx context.Context, r DeletionRecord) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO deletion_records (tenant_id, record_id, category, case_number, channel_id,
		closed_at, deleted_at, policy_channel_id, policy_category, policy_months, policy_confirmed_at,
		basis, deleted_by, export_id, export_sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.TenantID, r.ID, r.Category, r.CaseNumber, r.ChannelID, nullMS(r.ClosedAt), ms(r.DeletedAt),
		r.PolicyChannelID, r.PolicyCategory, r.PolicyMonths, nullMS(r.PolicyConfirmedAt),
		cmp.Or(r.Basis, DeletionRetention), r.DeletedBy, r.ExportID, r.ExportSHA256)
	if err != nil {
		return fmt.Errorf("store: insert deletion record: %w", err)
	}
	return nil
}

// DeletionRecords lists a tenant's deletion records, newest first.
func (db *DB) DeletionRecords(ctx context.Context, tenantID string) ([]DeletionRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, record_id, category, case_number, channel_id, closed_at, deleted_at,
		policy_channel_id, policy_category, policy_months, policy_confirmed_at, basis, deleted_by, export_id, export_sha256, request_id
		FROM deletion_records WHERE tenant_id = $1 ORDER BY deleted_at DESC, case_number DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: deletion records: %w", err)
	}
	defer rows.Close()
	var out []DeletionRecord
	for rows.Next() {
		var r DeletionRecord
		var closed, confirmed *int64
		var deleted int64
		if err := rows.Scan(&r.TenantID, &r.ID, &r.Category, &r.CaseNumber, &r.ChannelID, &closed, &deleted,
			&r.PolicyChannelID, &r.PolicyCategory, &r.PolicyMonths, &confirmed, &r.Basis, &r.DeletedBy, &r.ExportID, &r.ExportSHA256, &r.RequestID); err != nil {
			return nil, fmt.Errorf("store: scan deletion record: %w", err)
		}
		r.ClosedAt, r.DeletedAt, r.PolicyConfirmedAt = optMS(closed), fromMS(deleted), optMS(confirmed)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PurgeContent deletes the given messages and files of one case (JR-4) and
// returns the blob keys of the files, which the caller deletes after
// commit. Every id must belong to the case, or nothing is deleted
// (ErrNotFound).
func (tx *Tx) PurgeContent(ctx context.Context, tenantID, reportID string, messageIDs, fileIDs []string) ([]string, error) {
	for _, id := range messageIDs {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM messages WHERE tenant_id = $1 AND report_id = $2 AND message_id = $3`,
			tenantID, reportID, id)
		if err != nil {
			return nil, fmt.Errorf("store: purge message: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n != 1 {
			return nil, fmt.Errorf("store: purge message: %w", ErrNotFound)
		}
	}
	var blobs []string
	for _, id := range fileIDs {
		var key string
		err := tx.tx.QueryRowContext(ctx, `DELETE FROM files WHERE tenant_id = $1 AND report_id = $2 AND file_id = $3 RETURNING blob_key`,
			tenantID, reportID, id).Scan(&key)
		if err != nil {
			return nil, fmt.Errorf("store: purge file: %w", notFound(err))
		}
		blobs = append(blobs, key)
		redacted, err := tx.deleteFileRedactions(ctx, tenantID, reportID, id)
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, redacted...)
	}
	return blobs, nil
}
