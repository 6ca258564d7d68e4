package store

import (
	"context"
	"fmt"
	"time"
)

// Disclosure states.
const (
	DisclosureDraft = "draft"
	DisclosureFinal = "final"
)

// Disclosure is a disclosure note of a case (DA-1): what a handler lets
// leave the case for another authority. Body is sealed under the case key
// by internal/cases; the rest holds ids, times and tokens only.
type Disclosure struct {
	TenantID        string
	ID              string
	ReportID        string
	State           string
	Body            []byte
	HasIdentity     bool   // identity answers are selected (by reference)
	IdentityBasis   string // "", "consent" or "legal_basis"; set at finalisation
	NoticeMessageID string // the notice sent to the whistleblower before an identity disclosure
	CreatedBy       string
	CreatedAt       time.Time
	FinalisedBy     string
	FinalisedAt     time.Time
}

const disclosureColumns = `tenant_id, disclosure_id, report_id, state, body, has_identity, identity_basis, notice_message_id,
	created_by, created_at, finalised_by, finalised_at`

func scanDisclosure(r rowScanner) (Disclosure, error) {
	var d Disclosure
	var hasIdentity, created int64
	var finalised *int64
	err := r.Scan(&d.TenantID, &d.ID, &d.ReportID, &d.State, &d.Body, &hasIdentity, &d.IdentityBasis, &d.NoticeMessageID,
		&d.CreatedBy, &created, &d.FinalisedBy, &finalised)
	if err != nil {
		return Disclosure{}, err
	}
	d.HasIdentity, d.CreatedAt, d.FinalisedAt = hasIdentity != 0, fromMS(created), optMS(finalised)
	return d, nil
}

// InsertDisclosure stores a new disclosure note.
func (tx *Tx) InsertDisclosure(ctx context.Context, d Disclosure) error {
	hasIdentity := 0
	if d.HasIdentity {
		hasIdentity = 1
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_disclosures (tenant_id, disclosure_id, report_id, state, body,
		has_identity, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.TenantID, d.ID, d.ReportID, d.State, d.Body, hasIdentity, d.CreatedBy, ms(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert disclosure: %w", duplicate(err))
	}
	return nil
}

// Disclosures lists a case's disclosure notes, oldest first.
func (db *DB) Disclosures(ctx context.Context, tenantID, reportID string) ([]Disclosure, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+disclosureColumns+` FROM case_disclosures
		WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, disclosure_id`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: disclosures: %w", err)
	}
	defer rows.Close()
	var out []Disclosure
	for rows.Next() {
		d, err := scanDisclosure(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan disclosure: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Disclosure loads one disclosure note of a case.
func (db *DB) Disclosure(ctx context.Context, tenantID, reportID, disclosureID string) (Disclosure, error) {
	d, err := scanDisclosure(db.read.QueryRowContext(ctx, `SELECT `+disclosureColumns+` FROM case_disclosures
		WHERE tenant_id = $1 AND report_id = $2 AND disclosure_id = $3`, tenantID, reportID, disclosureID))
	if err != nil {
		return Disclosure{}, fmt.Errorf("store: disclosure: %w", notFound(err))
	}
	return d, nil
}

// FinaliseDisclosure marks a draft final. A note that is no longer a
// draft gives ErrStateChanged.
func (tx *Tx) FinaliseDisclosure(ctx context.Context, tenantID, reportID, disclosureID, by, identityBasis, noticeMessageID string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_disclosures SET state = $4, finalised_by = $5, finalised_at = $6,
		identity_basis = $7, notice_message_id = $8
		WHERE tenant_id = $1 AND report_id = $2 AND disclosure_id = $3 AND state = $9`,
		tenantID, reportID, disclosureID, DisclosureFinal, by, ms(at), identityBasis, noticeMessageID, DisclosureDraft)
	if err != nil {
		return fmt.Errorf("store: finalise disclosure: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: finalise disclosure: %w", err)
	}
	if n != 1 {
		return ErrStateChanged
	}
	return nil
}
