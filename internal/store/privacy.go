package store

import (
	"context"
	"fmt"
	"time"
)

// Register names used in register_entries.register.
const (
	RegisterBreach = "breach"
	RegisterDSR    = "dsr"
)

// RegisterEntry is one append-only entry of a breach or data-subject
// request: what a person typed, sealed under the register key in Body.
// Kind and the author are in clear so the history can be listed.
type RegisterEntry struct {
	TenantID  string
	Register  string // RegisterBreach or RegisterDSR
	ParentID  string // breach id or request id
	ID        string
	Seq       int64
	Kind      string
	AuthorID  string
	Body      []byte
	CreatedAt time.Time
}

// --- register key ---

// CreateRegisterKeyring marks that the tenant's register key exists. It
// returns ErrDuplicate when another user created it first, so two users
// opening the registers at once never make two different keys.
func (tx *Tx) CreateRegisterKeyring(ctx context.Context, tenantID, userID string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_keyring (tenant_id, created_by, created_at) VALUES ($1, $2, $3)`,
		tenantID, userID, ms(at))
	if err != nil {
		return fmt.Errorf("store: create register keyring: %w", duplicate(err))
	}
	return nil
}

// PutRegisterKey stores the register key wrapped to one user.
func (tx *Tx) PutRegisterKey(ctx context.Context, tenantID, userID string, wrapped []byte, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_keys (tenant_id, user_id, wrapped, created_at) VALUES ($1, $2, $3, $4)`,
		tenantID, userID, wrapped, ms(at))
	if err != nil {
		return fmt.Errorf("store: put register key: %w", duplicate(err))
	}
	return nil
}

// RegisterKey returns the register key wrapped to userID, or ErrNotFound.
func (db *DB) RegisterKey(ctx context.Context, tenantID, userID string) ([]byte, error) {
	var w []byte
	err := db.read.QueryRowContext(ctx, `SELECT wrapped FROM register_keys WHERE tenant_id = $1 AND user_id = $2`,
		tenantID, userID).Scan(&w)
	if err != nil {
		return nil, fmt.Errorf("store: register key: %w", notFound(err))
	}
	return w, nil
}

// RegisterKeyUsers lists the enabled users of the given roles (id, role
// and public key only), split by whether each already holds the register key.
func (db *DB) RegisterKeyUsers(ctx context.Context, tenantID string, roles ...string) (holders, lacking []User, err error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.tenant_id, u.user_id, u.role, u.public_key,
		CASE WHEN k.user_id IS NULL THEN 0 ELSE 1 END
		FROM users u LEFT JOIN register_keys k ON k.tenant_id = u.tenant_id AND k.user_id = u.user_id
		WHERE u.tenant_id = $1 AND u.disabled_at IS NULL ORDER BY u.user_id`, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: register key users: %w", err)
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, r := range roles {
		want[r] = true
	}
	for rows.Next() {
		var u User
		var has int
		if err := rows.Scan(&u.TenantID, &u.ID, &u.Role, &u.PublicKey, &has); err != nil {
			return nil, nil, fmt.Errorf("store: scan register key user: %w", err)
		}
		if !want[u.Role] {
			continue
		}
		if has == 1 {
			holders = append(holders, u)
		} else {
			lacking = append(lacking, u)
		}
	}
	return holders, lacking, rows.Err()
}

// --- entries ---

// InsertRegisterEntry appends an entry. The caller takes Seq from the
// parent row (LockBreach, LockDSR) in the same transaction.
func (tx *Tx) InsertRegisterEntry(ctx context.Context, e RegisterEntry) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_entries (tenant_id, register, parent_id, entry_id, seq, kind, author_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.TenantID, e.Register, e.ParentID, e.ID, e.Seq, e.Kind, e.AuthorID, e.Body, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert register entry: %w", duplicate(err))
	}
	return nil
}

// RegisterEntries lists the entries of one breach or request in order.
func (db *DB) RegisterEntries(ctx context.Context, tenantID, register, parentID string) ([]RegisterEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, register, parent_id, entry_id, seq, kind, author_id, body, created_at
		FROM register_entries WHERE tenant_id = $1 AND register = $2 AND parent_id = $3 ORDER BY seq`, tenantID, register, parentID)
	if err != nil {
		return nil, fmt.Errorf("store: register entries: %w", err)
	}
	defer rows.Close()
	var out []RegisterEntry
	for rows.Next() {
		var e RegisterEntry
		var created int64
		if err := rows.Scan(&e.TenantID, &e.Register, &e.ParentID, &e.ID, &e.Seq, &e.Kind, &e.AuthorID, &e.Body, &created); err != nil {
			return nil, fmt.Errorf("store: scan register entry: %w", err)
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// --- breaches ---

// Breach is the clear part of a breach-log entry (GDPR art. 33(5)).
type Breach struct {
	TenantID            string
	ID                  string
	Type                string
	AwareAt             time.Time
	NotifyDueAt         time.Time
	Severity            int
	Risk                string
	RiskOverridden      bool
	AuthorityNotifiedAt time.Time
	NotifiedLate        bool
	SubjectNotice       string // "", "notice" or "exception"
	SubjectNoticeAt     time.Time
	Status              string
	ClosedAt            time.Time
	EntrySeq            int64
	CreatedBy           string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

const breachColumns = `tenant_id, breach_id, breach_type, aware_at, notify_due_at, severity, risk, risk_overridden,
	authority_notified_at, notified_late, subject_notice, subject_notice_at, status, closed_at, entry_seq,
	created_by, created_at, updated_at`

func scanBreach(row interface{ Scan(...any) error }) (Breach, error) {
	var b Breach
	var aware, due, created, updated int64
	var notified, notice, closed *int64
	var overridden, late int
	err := row.Scan(&b.TenantID, &b.ID, &b.Type, &aware, &due, &b.Severity, &b.Risk, &overridden,
		&notified, &late, &b.SubjectNotice, &notice, &b.Status, &closed, &b.EntrySeq, &b.CreatedBy, &created, &updated)
	b.AwareAt, b.NotifyDueAt, b.CreatedAt, b.UpdatedAt = fromMS(aware), fromMS(due), fromMS(created), fromMS(updated)
	b.AuthorityNotifiedAt, b.SubjectNoticeAt, b.ClosedAt = optMS(notified), optMS(notice), optMS(closed)
	b.RiskOverridden, b.NotifiedLate = overridden == 1, late == 1
	return b, err
}

// InsertBreach records a new breach.
func (tx *Tx) InsertBreach(ctx context.Context, b Breach) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO breaches (`+breachColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		b.TenantID, b.ID, b.Type, ms(b.AwareAt), ms(b.NotifyDueAt), b.Severity, b.Risk, boolInt(b.RiskOverridden),
		nullMS(b.AuthorityNotifiedAt), boolInt(b.NotifiedLate), b.SubjectNotice, nullMS(b.SubjectNoticeAt), b.Status,
		nullMS(b.ClosedAt), b.EntrySeq, b.CreatedBy, ms(b.CreatedAt), ms(b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert breach: %w", duplicate(err))
	}
	return nil
}

// LockBreach takes the breach's next entry number and returns the row as
// it stands. UPDATE … RETURNING locks the row on PostgreSQL until the
// transaction ends, so checks made on it hold when the caller saves.
func (tx *Tx) LockBreach(ctx context.Context, tenantID, breachID string) (Breach, error) {
	b, err := scanBreach(tx.tx.QueryRowContext(ctx, `UPDATE breaches SET entry_seq = entry_seq + 1
		WHERE tenant_id = $1 AND breach_id = $2 RETURNING `+breachColumns, tenantID, breachID))
	if err != nil {
		return Breach{}, fmt.Errorf("store: lock breach: %w", notFound(err))
	}
	return b, nil
}

// SaveBreach writes the clear state of a breach locked with LockBreach.
func (tx *Tx) SaveBreach(ctx context.Context, b Breach) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE breaches SET severity = $3, risk = $4, risk_overridden = $5,
		authority_notified_at = $6, notified_late = $7, subject_notice = $8, subject_notice_at = $9, status = $10,
		closed_at = $11, updated_at = $12 WHERE tenant_id = $1 AND breach_id = $2`,
		b.TenantID, b.ID, b.Severity, b.Risk, boolInt(b.RiskOverridden), nullMS(b.AuthorityNotifiedAt), boolInt(b.NotifiedLate),
		b.SubjectNotice, nullMS(b.SubjectNoticeAt), b.Status, nullMS(b.ClosedAt), ms(b.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: save breach: %w", err)
	}
	return nil
}

// BreachByID loads one breach.
func (db *DB) BreachByID(ctx context.Context, tenantID, breachID string) (Breach, error) {
	b, err := scanBreach(db.read.QueryRowContext(ctx, `SELECT `+breachColumns+` FROM breaches
		WHERE tenant_id = $1 AND breach_id = $2`, tenantID, breachID))
	if err != nil {
		return Breach{}, fmt.Errorf("store: breach: %w", notFound(err))
	}
	return b, nil
}

// Breaches lists a tenant's breaches: open ones whose notification to the
// authority is overdue at now first, then the rest by awareness, newest first.
func (db *DB) Breaches(ctx context.Context, tenantID string, now time.Time, limit int) ([]Breach, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+breachColumns+` FROM breaches WHERE tenant_id = $1
		ORDER BY CASE WHEN status = 'open' AND authority_notified_at IS NULL AND risk <> 'none' AND notify_due_at <= $2 THEN 0 ELSE 1 END,
		aware_at DESC, breach_id LIMIT $3`, tenantID, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: breaches: %w", err)
	}
	defer rows.Close()
	var out []Breach
	for rows.Next() {
		b, err := scanBreach(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan breach: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// --- data-subject requests ---

// DataSubjectRequest is the clear part of a request under GDPR arts. 15
// to 21: who asked and why is sealed in its entries.
type DataSubjectRequest struct {
	TenantID        string
	ID              string
	Type            string
	Channel         string
	ReceivedAt      time.Time
	DueAt           time.Time
	ExtendedMonths  int
	ExtendedAt      time.Time
	InformedAt      time.Time // requester told of the extension
	Verification    string
	VerifyMethod    string
	OnBehalf        string
	VerifiedAt      time.Time
	Status          string
	ClosedAt        time.Time
	ComplaintNotice bool
	EntrySeq        int64
	CreatedBy       string
	CreatedAt       time.Time
}

const dsrColumns = `tenant_id, request_id, request_type, channel, received_at, due_at, extended_months, extended_at,
	informed_at, verification, verify_method, on_behalf, verified_at, status, closed_at, complaint_notice, entry_seq,
	created_by, created_at`

func scanDSR(row interface{ Scan(...any) error }) (DataSubjectRequest, error) {
	var d DataSubjectRequest
	var received, due, created int64
	var extended, informed, verified, closed *int64
	var complaint int
	err := row.Scan(&d.TenantID, &d.ID, &d.Type, &d.Channel, &received, &due, &d.ExtendedMonths, &extended,
		&informed, &d.Verification, &d.VerifyMethod, &d.OnBehalf, &verified, &d.Status, &closed, &complaint, &d.EntrySeq,
		&d.CreatedBy, &created)
	d.ReceivedAt, d.DueAt, d.CreatedAt = fromMS(received), fromMS(due), fromMS(created)
	d.ExtendedAt, d.InformedAt, d.VerifiedAt, d.ClosedAt = optMS(extended), optMS(informed), optMS(verified), optMS(closed)
	d.ComplaintNotice = complaint == 1
	return d, err
}

// InsertDSR records a new request.
func (tx *Tx) InsertDSR(ctx context.Context, d DataSubjectRequest) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO dsr_requests (`+dsrColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		d.TenantID, d.ID, d.Type, d.Channel, ms(d.ReceivedAt), ms(d.DueAt), d.ExtendedMonths, nullMS(d.ExtendedAt),
		nullMS(d.InformedAt), d.Verification, d.VerifyMethod, d.OnBehalf, nullMS(d.VerifiedAt), d.Status, nullMS(d.ClosedAt),
		boolInt(d.ComplaintNotice), d.EntrySeq, d.CreatedBy, ms(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert request: %w", duplicate(err))
	}
	return nil
}

// LockDSR takes the request's next entry number and returns the row as it
// stands, locked until the transaction ends (see LockBreach).
func (tx *Tx) LockDSR(ctx context.Context, tenantID, requestID string) (DataSubjectRequest, error) {
	d, err := scanDSR(tx.tx.QueryRowContext(ctx, `UPDATE dsr_requests SET entry_seq = entry_seq + 1
		WHERE tenant_id = $1 AND request_id = $2 RETURNING `+dsrColumns, tenantID, requestID))
	if err != nil {
		return DataSubjectRequest{}, fmt.Errorf("store: lock request: %w", notFound(err))
	}
	return d, nil
}

// SaveDSR writes the clear state of a request locked with LockDSR.
func (tx *Tx) SaveDSR(ctx context.Context, d DataSubjectRequest) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE dsr_requests SET due_at = $3, extended_months = $4, extended_at = $5,
		informed_at = $6, verification = $7, verify_method = $8, on_behalf = $9, verified_at = $10, status = $11,
		closed_at = $12, complaint_notice = $13 WHERE tenant_id = $1 AND request_id = $2`,
		d.TenantID, d.ID, ms(d.DueAt), d.ExtendedMonths, nullMS(d.ExtendedAt), nullMS(d.InformedAt), d.Verification,
		d.VerifyMethod, d.OnBehalf, nullMS(d.VerifiedAt), d.Status, nullMS(d.ClosedAt), boolInt(d.ComplaintNotice))
	if err != nil {
		return fmt.Errorf("store: save request: %w", err)
	}
	return nil
}

// DSRByID loads one request.
func (db *DB) DSRByID(ctx context.Context, tenantID, requestID string) (DataSubjectRequest, error) {
	d, err := scanDSR(db.read.QueryRowContext(ctx, `SELECT `+dsrColumns+` FROM dsr_requests
		WHERE tenant_id = $1 AND request_id = $2`, tenantID, requestID))
	if err != nil {
		return DataSubjectRequest{}, fmt.Errorf("store: request: %w", notFound(err))
	}
	return d, nil
}

// DSRs lists a tenant's requests: open ones overdue at now first, then
// other open ones by due date, then closed ones, newest first.
func (db *DB) DSRs(ctx context.Context, tenantID string, now time.Time, limit int) ([]DataSubjectRequest, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+dsrColumns+` FROM dsr_requests WHERE tenant_id = $1
		ORDER BY CASE WHEN status = 'open' AND due_at <= $2 THEN 0 WHEN status = 'open' THEN 1 ELSE 2 END,
		CASE WHEN status = 'open' THEN due_at ELSE -received_at END, request_id LIMIT $3`, tenantID, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: requests: %w", err)
	}
	defer rows.Close()
	var out []DataSubjectRequest
	for rows.Next() {
		d, err := scanDSR(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan request: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
