package store

import (
	"context"
	"fmt"
	"time"
)

// RegisterRetentionPolicy names the retention policies in register_reviews
// and review_schedules; their item id is "<channel id>/<category>".
const RegisterRetentionPolicy = "retention_policy"

// RegisterReview is one "mark reviewed" of a register entry (migration 13).
type RegisterReview struct {
	TenantID     string
	ID           string
	Register     string
	ItemID       string
	ReviewedBy   string
	ReviewedAt   time.Time
	NextReviewAt time.Time
}

// InsertRegisterReview records a review.
func (tx *Tx) InsertRegisterReview(ctx context.Context, r RegisterReview) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_reviews (tenant_id, review_id, register, item_id, reviewed_by,
		reviewed_at, next_review_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.TenantID, r.ID, r.Register, r.ItemID, r.ReviewedBy, ms(r.ReviewedAt), ms(r.NextReviewAt))
	if err != nil {
		return fmt.Errorf("store: insert register review: %w", duplicate(err))
	}
	return nil
}

// RegisterReviews lists the reviews of one entry, newest first.
func (db *DB) RegisterReviews(ctx context.Context, tenantID, register, itemID string) ([]RegisterReview, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, review_id, register, item_id, reviewed_by, reviewed_at, next_review_at
		FROM register_reviews WHERE tenant_id = $1 AND register = $2 AND item_id = $3 ORDER BY reviewed_at DESC, review_id`,
		tenantID, register, itemID)
	if err != nil {
		return nil, fmt.Errorf("store: register reviews: %w", err)
	}
	defer rows.Close()
	var out []RegisterReview
	for rows.Next() {
		var r RegisterReview
		var at, next int64
		if err := rows.Scan(&r.TenantID, &r.ID, &r.Register, &r.ItemID, &r.ReviewedBy, &at, &next); err != nil {
			return nil, fmt.Errorf("store: scan register review: %w", err)
		}
		r.ReviewedAt, r.NextReviewAt = fromMS(at), fromMS(next)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRegisterItemReview sets the next review date of a register item.
func (tx *Tx) SetRegisterItemReview(ctx context.Context, tenantID, register, itemID string, next time.Time, by string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE register_items SET review_at = $4, updated_by = $5, updated_at = $6
		WHERE tenant_id = $1 AND register = $2 AND item_id = $3`, tenantID, register, itemID, ms(next), by, ms(at))
	return affectedOne(res, err, "set register item review")
}

// ReviewSchedule is the owner and next review date of a register entry
// that has no columns of its own for them (a retention policy).
type ReviewSchedule struct {
	TenantID  string
	Register  string
	ItemID    string
	OwnerID   string
	ReviewAt  time.Time
	UpdatedBy string
	UpdatedAt time.Time
}

// ReviewSchedules lists the schedules of one register.
func (db *DB) ReviewSchedules(ctx context.Context, tenantID, register string) ([]ReviewSchedule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, register, item_id, owner_id, review_at, updated_by, updated_at
		FROM review_schedules WHERE tenant_id = $1 AND register = $2 ORDER BY item_id`, tenantID, register)
	if err != nil {
		return nil, fmt.Errorf("store: review schedules: %w", err)
	}
	defer rows.Close()
	var out []ReviewSchedule
	for rows.Next() {
		var s ReviewSchedule
		var review *int64
		var updated int64
		if err := rows.Scan(&s.TenantID, &s.Register, &s.ItemID, &s.OwnerID, &review, &s.UpdatedBy, &updated); err != nil {
			return nil, fmt.Errorf("store: scan review schedule: %w", err)
		}
		s.ReviewAt, s.UpdatedAt = optMS(review), fromMS(updated)
		out = append(out, s)
	}
	return out, rows.Err()
}

// PutReviewSchedule inserts or replaces a schedule.
func (tx *Tx) PutReviewSchedule(ctx context.Context, s ReviewSchedule) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO review_schedules (tenant_id, register, item_id, owner_id, review_at, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, register, item_id) DO UPDATE SET owner_id = excluded.owner_id, review_at = excluded.review_at,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		s.TenantID, s.Register, s.ItemID, s.OwnerID, nullMS(s.ReviewAt), s.UpdatedBy, ms(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put review schedule: %w", err)
	}
	return nil
}

// Declaration is a version of an organisation's confidentiality declaration.
type Declaration struct {
	TenantID  string
	Version   int
	Body      string
	CreatedBy string
	CreatedAt time.Time
}

// InsertDeclaration stores a new version; a version taken concurrently is
// ErrDuplicate.
func (tx *Tx) InsertDeclaration(ctx context.Context, d Declaration) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO confidentiality_declarations (tenant_id, version, body, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5)`, d.TenantID, d.Version, d.Body, d.CreatedBy, ms(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert declaration: %w", duplicate(err))
	}
	return nil
}

// Declarations lists every version, newest first.
func (db *DB) Declarations(ctx context.Context, tenantID string) ([]Declaration, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, version, body, created_by, created_at
		FROM confidentiality_declarations WHERE tenant_id = $1 ORDER BY version DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: declarations: %w", err)
	}
	defer rows.Close()
	var out []Declaration
	for rows.Next() {
		var d Declaration
		var created int64
		if err := rows.Scan(&d.TenantID, &d.Version, &d.Body, &d.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("store: scan declaration: %w", err)
		}
		d.CreatedAt = fromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// LatestDeclarationVersion is the newest stored version, 0 if none.
func (db *DB) LatestDeclarationVersion(ctx context.Context, tenantID string) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM confidentiality_declarations WHERE tenant_id = $1`,
		tenantID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: latest declaration: %w", err)
	}
	return v, nil
}

// Acceptance is a user's acceptance of one version of the declaration.
type Acceptance struct {
	TenantID   string
	UserID     string
	Version    int
	AcceptedAt time.Time
}

// InsertAcceptance records an acceptance; accepting a version twice is
// ErrDuplicate.
func (tx *Tx) InsertAcceptance(ctx context.Context, a Acceptance) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO declaration_acceptances (tenant_id, user_id, version, accepted_at)
		VALUES ($1, $2, $3, $4)`, a.TenantID, a.UserID, a.Version, ms(a.AcceptedAt))
	if err != nil {
		return fmt.Errorf("store: insert acceptance: %w", duplicate(err))
	}
	return nil
}

// HasAccepted tells whether a user accepted a version.
func (db *DB) HasAccepted(ctx context.Context, tenantID, userID string, version int) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM declaration_acceptances
		WHERE tenant_id = $1 AND user_id = $2 AND version = $3`, tenantID, userID, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: has accepted: %w", err)
	}
	return n > 0, nil
}

// Acceptances lists every acceptance, newest first.
func (db *DB) Acceptances(ctx context.Context, tenantID string) ([]Acceptance, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, user_id, version, accepted_at FROM declaration_acceptances
		WHERE tenant_id = $1 ORDER BY accepted_at DESC, user_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: acceptances: %w", err)
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var at int64
		if err := rows.Scan(&a.TenantID, &a.UserID, &a.Version, &at); err != nil {
			return nil, fmt.Errorf("store: scan acceptance: %w", err)
		}
		a.AcceptedAt = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// NoticeDates are the dates of one open art. 14 notification of a person
// concerned, without the case or the person: what the DPO's dashboard
// counts.
type NoticeDates struct {
	State       string
	NotifyDueAt time.Time
	ReviewAt    time.Time
	NoticeAt    time.Time
}

// OpenNoticeDates lists the dates of every open notification of a tenant
// in one of the given states.
func (db *DB) OpenNoticeDates(ctx context.Context, tenantID string, states ...string) ([]NoticeDates, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := []any{tenantID}
	in := ""
	for i, s := range states {
		if i > 0 {
			in += ", "
		}
		args = append(args, s)
		in += fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT notice_state, notify_due_at, review_at, notice_at FROM case_persons
		WHERE tenant_id = $1 AND removed_at IS NULL AND notice_state IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: open notice dates: %w", err)
	}
	defer rows.Close()
	var out []NoticeDates
	for rows.Next() {
		var n NoticeDates
		var due int64
		var review, noticeAt *int64
		if err := rows.Scan(&n.State, &due, &review, &noticeAt); err != nil {
			return nil, fmt.Errorf("store: scan notice dates: %w", err)
		}
		n.NotifyDueAt, n.ReviewAt, n.NoticeAt = fromMS(due), optMS(review), optMS(noticeAt)
		out = append(out, n)
	}
	return out, rows.Err()
}
