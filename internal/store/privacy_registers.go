package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Register names of the records of processing and the registers tied to
// them (migration 9), used in register_items.register and
// register_entries.register.
const (
	RegisterActivity  = "ropa"      // records of processing activities (GDPR art. 30(1))
	RegisterProcessor = "processor" // processors (arts. 28(3), 30(2))
	RegisterDPIA      = "dpia"      // data protection impact assessments (art. 35)
	RegisterRisk      = "risk"      // risk register (art. 32(2))
)

// RegisterItem is the clear part of an entry of one of the registers
// above; what a person typed is sealed in its register entries. Each
// register uses the columns that apply to it: ActivityID (dpia, risk: the
// activity assessed), Activities (processor: the activities it serves),
// HighRisk (ropa), Likelihood and Impact (risk), AgreementAt and Clauses
// (processor: the art. 28(3) letters checked), DPOAdviceAt (dpia).
type RegisterItem struct {
	TenantID    string
	Register    string
	ID          string
	ActivityID  string
	Activities  []string
	HighRisk    bool
	Likelihood  int
	Impact      int
	AgreementAt time.Time
	Clauses     []string
	DPOAdviceAt time.Time
	OwnerID     string
	ReviewAt    time.Time
	EntrySeq    int64
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedBy   string
	UpdatedAt   time.Time
}

const registerItemColumns = `tenant_id, register, item_id, activity_id, activities, high_risk, likelihood, impact,
	agreement_at, clauses, dpo_advice_at, owner_id, review_at, entry_seq, created_by, created_at, updated_by, updated_at`

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func scanRegisterItem(row interface{ Scan(...any) error }) (RegisterItem, error) {
	var it RegisterItem
	var activities, clauses string
	var high int
	var agreement, advice, review *int64
	var created, updated int64
	err := row.Scan(&it.TenantID, &it.Register, &it.ID, &it.ActivityID, &activities, &high, &it.Likelihood, &it.Impact,
		&agreement, &clauses, &advice, &it.OwnerID, &review, &it.EntrySeq, &it.CreatedBy, &created, &it.UpdatedBy, &updated)
	it.Activities, it.Clauses, it.HighRisk = splitList(activities), splitList(clauses), high == 1
	it.AgreementAt, it.DPOAdviceAt, it.ReviewAt = optMS(agreement), optMS(advice), optMS(review)
	it.CreatedAt, it.UpdatedAt = fromMS(created), fromMS(updated)
	return it, err
}

// InsertRegisterItem records a new register item.
func (tx *Tx) InsertRegisterItem(ctx context.Context, it RegisterItem) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_items (`+registerItemColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		it.TenantID, it.Register, it.ID, it.ActivityID, strings.Join(it.Activities, ","), boolInt(it.HighRisk), it.Likelihood, it.Impact,
		nullMS(it.AgreementAt), strings.Join(it.Clauses, ","), nullMS(it.DPOAdviceAt), it.OwnerID, nullMS(it.ReviewAt),
		it.EntrySeq, it.CreatedBy, ms(it.CreatedAt), it.UpdatedBy, ms(it.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert register item: %w", duplicate(err))
	}
	return nil
}

// LockRegisterItem takes the item's next entry number and returns the row
// as it stands, locked until the transaction ends (see LockBreach).
func (tx *Tx) LockRegisterItem(ctx context.Context, tenantID, register, itemID string) (RegisterItem, error) {
	it, err := scanRegisterItem(tx.tx.QueryRowContext(ctx, `UPDATE register_items SET entry_seq = entry_seq + 1
		WHERE tenant_id = $1 AND register = $2 AND item_id = $3 RETURNING `+registerItemColumns, tenantID, register, itemID))
	if err != nil {
		return RegisterItem{}, fmt.Errorf("store: lock register item: %w", notFound(err))
	}
	return it, nil
}

// SaveRegisterItem writes the clear state of an item locked with LockRegisterItem.
func (tx *Tx) SaveRegisterItem(ctx context.Context, it RegisterItem) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE register_items SET activity_id = $4, activities = $5, high_risk = $6,
		likelihood = $7, impact = $8, agreement_at = $9, clauses = $10, dpo_advice_at = $11, owner_id = $12, review_at = $13,
		updated_by = $14, updated_at = $15 WHERE tenant_id = $1 AND register = $2 AND item_id = $3`,
		it.TenantID, it.Register, it.ID, it.ActivityID, strings.Join(it.Activities, ","), boolInt(it.HighRisk), it.Likelihood,
		it.Impact, nullMS(it.AgreementAt), strings.Join(it.Clauses, ","), nullMS(it.DPOAdviceAt), it.OwnerID, nullMS(it.ReviewAt),
		it.UpdatedBy, ms(it.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: save register item: %w", err)
	}
	return nil
}

// RegisterItemByID loads one item of a register.
func (db *DB) RegisterItemByID(ctx context.Context, tenantID, register, itemID string) (RegisterItem, error) {
	it, err := scanRegisterItem(db.read.QueryRowContext(ctx, `SELECT `+registerItemColumns+` FROM register_items
		WHERE tenant_id = $1 AND register = $2 AND item_id = $3`, tenantID, register, itemID))
	if err != nil {
		return RegisterItem{}, fmt.Errorf("store: register item: %w", notFound(err))
	}
	return it, nil
}

// RegisterItems lists a register's items, oldest first.
func (db *DB) RegisterItems(ctx context.Context, tenantID, register string, limit int) ([]RegisterItem, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+registerItemColumns+` FROM register_items
		WHERE tenant_id = $1 AND register = $2 ORDER BY created_at, item_id LIMIT $3`, tenantID, register, limit)
	if err != nil {
		return nil, fmt.Errorf("store: register items: %w", err)
	}
	defer rows.Close()
	var out []RegisterItem
	for rows.Next() {
		it, err := scanRegisterItem(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan register item: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// RegisterSeeded tells whether a register's default entry was made.
func (db *DB) RegisterSeeded(ctx context.Context, tenantID, register string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM register_seeds WHERE tenant_id = $1 AND register = $2`,
		tenantID, register).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: register seeded: %w", err)
	}
	return n > 0, nil
}

// MarkRegisterSeeded records that a register's default entry was made. It
// returns ErrDuplicate when another user seeded it first.
func (tx *Tx) MarkRegisterSeeded(ctx context.Context, tenantID, register, itemID string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_seeds (tenant_id, register, item_id, created_at) VALUES ($1, $2, $3, $4)`,
		tenantID, register, itemID, ms(at))
	if err != nil {
		return fmt.Errorf("store: mark register seeded: %w", duplicate(err))
	}
	return nil
}

// --- access reviews (AR-1) ---

// ErrDecided is returned for a review line that was already attested or
// whose campaign is completed.
var ErrDecided = errors.New("store: already decided")

// StaffAccess is one staff user as an access review sees them: role,
// channels and the number of cases they hold a key for. Counts only.
type StaffAccess struct {
	UserID   string
	Role     string
	Channels []string
	CaseKeys int
}

// StaffAccessSummary lists every enabled staff user of a tenant with their
// role, the channels they handle and how many cases they hold a report key
// for (report_keys; counts only).
func (db *DB) StaffAccessSummary(ctx context.Context, tenantID string) ([]StaffAccess, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.user_id, u.role,
		(SELECT COUNT(DISTINCT k.report_id) FROM report_keys k WHERE k.tenant_id = u.tenant_id
			AND k.holder_type = $2 AND k.holder_id = u.user_id AND k.key_kind = $3)
		FROM users u WHERE u.tenant_id = $1 AND u.disabled_at IS NULL ORDER BY u.user_id`, tenantID, HolderUser, KeyReport)
	if err != nil {
		return nil, fmt.Errorf("store: staff access: %w", err)
	}
	var out []StaffAccess
	idx := map[string]int{}
	for rows.Next() {
		var a StaffAccess
		if err := rows.Scan(&a.UserID, &a.Role, &a.CaseKeys); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan staff access: %w", err)
		}
		idx[a.UserID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: staff access: %w", err)
	}
	ch, err := db.read.QueryContext(ctx, `SELECT user_id, channel_id FROM channel_handlers WHERE tenant_id = $1
		ORDER BY user_id, channel_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: staff channels: %w", err)
	}
	defer ch.Close()
	for ch.Next() {
		var u, c string
		if err := ch.Scan(&u, &c); err != nil {
			return nil, fmt.Errorf("store: scan staff channel: %w", err)
		}
		if i, ok := idx[u]; ok {
			out[i].Channels = append(out[i].Channels, c)
		}
	}
	return out, ch.Err()
}

// DisableUser sets users.disabled_at: the user can no longer log in, and
// open sessions stop working. It returns ErrNotFound for an unknown or
// already disabled user.
func (tx *Tx) DisableUser(ctx context.Context, tenantID, userID string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET disabled_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND disabled_at IS NULL`,
		tenantID, userID, ms(at))
	if err != nil {
		return fmt.Errorf("store: disable user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: disable user: %w", ErrNotFound)
	}
	return nil
}

// SetUserRole changes an enabled user's role. It returns ErrNotFound for
// an unknown or disabled user.
func (tx *Tx) SetUserRole(ctx context.Context, tenantID, userID, role string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE users SET role = $3 WHERE tenant_id = $1 AND user_id = $2 AND disabled_at IS NULL`,
		tenantID, userID, role)
	if err != nil {
		return fmt.Errorf("store: set user role: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: set user role: %w", ErrNotFound)
	}
	return nil
}

// CountEnabledRole counts a tenant's enabled users of a role inside tx.
func (tx *Tx) CountEnabledRole(ctx context.Context, tenantID, role string) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = $2 AND disabled_at IS NULL`,
		tenantID, role).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count role: %w", err)
	}
	return n, nil
}

// AccessReview is a quarterly access-review campaign.
type AccessReview struct {
	TenantID    string
	ID          string
	StartedBy   string
	StartedAt   time.Time
	DueAt       time.Time
	CompletedAt time.Time
}

// AccessReviewLine is one user of a campaign, as they stood when it
// started, and the reviewer's decision.
type AccessReviewLine struct {
	TenantID  string
	ReviewID  string
	UserID    string
	Role      string
	Channels  []string
	CaseKeys  int
	Decision  string // "" until attested
	DecidedBy string
	DecidedAt time.Time
}

const accessReviewColumns = `tenant_id, review_id, started_by, started_at, due_at, completed_at`

func scanAccessReview(row interface{ Scan(...any) error }) (AccessReview, error) {
	var r AccessReview
	var started, due int64
	var completed *int64
	err := row.Scan(&r.TenantID, &r.ID, &r.StartedBy, &started, &due, &completed)
	r.StartedAt, r.DueAt, r.CompletedAt = fromMS(started), fromMS(due), optMS(completed)
	return r, err
}

// InsertAccessReview starts a campaign with its lines. It returns
// ErrDuplicate while another campaign of the tenant is open.
func (tx *Tx) InsertAccessReview(ctx context.Context, r AccessReview, lines []AccessReviewLine) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO access_reviews (`+accessReviewColumns+`) VALUES ($1, $2, $3, $4, $5, NULL)`,
		r.TenantID, r.ID, r.StartedBy, ms(r.StartedAt), ms(r.DueAt))
	if err != nil {
		return fmt.Errorf("store: insert access review: %w", duplicate(err))
	}
	for _, l := range lines {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO access_review_lines (tenant_id, review_id, user_id, role, channels, case_keys)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.TenantID, r.ID, l.UserID, l.Role, strings.Join(l.Channels, ","), l.CaseKeys)
		if err != nil {
			return fmt.Errorf("store: insert access review line: %w", duplicate(err))
		}
	}
	return nil
}

// AccessReviewByID loads one campaign.
func (db *DB) AccessReviewByID(ctx context.Context, tenantID, reviewID string) (AccessReview, error) {
	r, err := scanAccessReview(db.read.QueryRowContext(ctx, `SELECT `+accessReviewColumns+` FROM access_reviews
		WHERE tenant_id = $1 AND review_id = $2`, tenantID, reviewID))
	if err != nil {
		return AccessReview{}, fmt.Errorf("store: access review: %w", notFound(err))
	}
	return r, nil
}

// AccessReviews lists a tenant's campaigns: the open one first, then
// newest first.
func (db *DB) AccessReviews(ctx context.Context, tenantID string, limit int) ([]AccessReview, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accessReviewColumns+` FROM access_reviews WHERE tenant_id = $1
		ORDER BY CASE WHEN completed_at IS NULL THEN 0 ELSE 1 END, started_at DESC, review_id LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: access reviews: %w", err)
	}
	defer rows.Close()
	var out []AccessReview
	for rows.Next() {
		r, err := scanAccessReview(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan access review: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastAccessReviewCompleted returns when the tenant's latest campaign was
// completed, or the zero time.
func (db *DB) LastAccessReviewCompleted(ctx context.Context, tenantID string) (time.Time, error) {
	var at *int64
	err := db.read.QueryRowContext(ctx, `SELECT MAX(completed_at) FROM access_reviews WHERE tenant_id = $1`, tenantID).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: last access review: %w", err)
	}
	return optMS(at), nil
}

func scanAccessReviewLine(row interface{ Scan(...any) error }) (AccessReviewLine, error) {
	var l AccessReviewLine
	var channels string
	var decided *int64
	err := row.Scan(&l.TenantID, &l.ReviewID, &l.UserID, &l.Role, &channels, &l.CaseKeys, &l.Decision, &l.DecidedBy, &decided)
	l.Channels, l.DecidedAt = splitList(channels), optMS(decided)
	return l, err
}

const accessReviewLineColumns = `tenant_id, review_id, user_id, role, channels, case_keys, decision, decided_by, decided_at`

// AccessReviewLines lists a campaign's lines by user id.
func (db *DB) AccessReviewLines(ctx context.Context, tenantID, reviewID string) ([]AccessReviewLine, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accessReviewLineColumns+` FROM access_review_lines
		WHERE tenant_id = $1 AND review_id = $2 ORDER BY user_id`, tenantID, reviewID)
	if err != nil {
		return nil, fmt.Errorf("store: access review lines: %w", err)
	}
	defer rows.Close()
	var out []AccessReviewLine
	for rows.Next() {
		l, err := scanAccessReviewLine(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan access review line: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DecideAccessReviewLine records the decision on an undecided line of an
// open campaign and returns the line. It returns ErrNotFound when there is
// no such line and ErrDecided when the line is decided or the campaign
// completed.
func (tx *Tx) DecideAccessReviewLine(ctx context.Context, tenantID, reviewID, userID, decision, by string, at time.Time) (AccessReviewLine, error) {
	l, err := scanAccessReviewLine(tx.tx.QueryRowContext(ctx, `UPDATE access_review_lines SET decision = $4, decided_by = $5, decided_at = $6
		WHERE tenant_id = $1 AND review_id = $2 AND user_id = $3 AND decision = ''
		AND EXISTS (SELECT 1 FROM access_reviews r WHERE r.tenant_id = $1 AND r.review_id = $2 AND r.completed_at IS NULL)
		RETURNING `+accessReviewLineColumns, tenantID, reviewID, userID, decision, by, ms(at)))
	if err == nil {
		return l, nil
	}
	if err := notFound(err); !errors.Is(err, ErrNotFound) {
		return AccessReviewLine{}, fmt.Errorf("store: decide access review line: %w", err)
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_review_lines WHERE tenant_id = $1 AND review_id = $2 AND user_id = $3`,
		tenantID, reviewID, userID).Scan(&n); err != nil {
		return AccessReviewLine{}, fmt.Errorf("store: decide access review line: %w", err)
	}
	if n == 0 {
		return AccessReviewLine{}, fmt.Errorf("store: access review line: %w", ErrNotFound)
	}
	return AccessReviewLine{}, fmt.Errorf("store: access review line: %w", ErrDecided)
}

// CompleteAccessReviewIfDone marks the campaign completed at at when every
// line is decided, and tells whether it did.
func (tx *Tx) CompleteAccessReviewIfDone(ctx context.Context, tenantID, reviewID string, at time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE access_reviews SET completed_at = $3
		WHERE tenant_id = $1 AND review_id = $2 AND completed_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM access_review_lines l WHERE l.tenant_id = $1 AND l.review_id = $2 AND l.decision = '')`,
		tenantID, reviewID, ms(at))
	if err != nil {
		return false, fmt.Errorf("store: complete access review: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
