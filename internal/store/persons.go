package store

import (
	"context"
	"fmt"
	"time"
)

// Person is a person concerned by a case (CA-4): a reported person, a
// witness or a third party. Pseudonym, role, dates and the GDPR art. 14
// notification state are in clear; Details, Deferral and Notice are sealed
// under the case key by internal/cases.
type Person struct {
	TenantID     string
	ID           string
	ReportID     string
	Position     int
	Pseudonym    string
	Role         string
	Details      []byte // sealed; nil once removed
	RegisteredAt time.Time
	NotifyDueAt  time.Time
	NoticeState  string
	NotifiedAt   time.Time
	NoticeMethod string // closed vocabulary chosen by the code
	ReviewAt     time.Time
	Deferral     []byte // sealed reason and legal basis; nil unless deferred
	Notice       []byte // sealed generated notice text; nil until generated
	NoticeAt     time.Time
	UpdatedAt    time.Time
	RemovedAt    time.Time
	Version      int // of Details: 1, plus one per rectification
}

const personColumns = `tenant_id, person_id, report_id, position, pseudonym, role, details, registered_at, notify_due_at,
	notice_state, notified_at, notice_method, review_at, deferral, notice, notice_at, updated_at, removed_at, version`

type rowScanner interface{ Scan(dest ...any) error }

func scanPerson(r rowScanner) (Person, error) {
	var p Person
	var registered, due, updated int64
	var notified, review, noticeAt, removed *int64
	err := r.Scan(&p.TenantID, &p.ID, &p.ReportID, &p.Position, &p.Pseudonym, &p.Role, &p.Details, &registered, &due,
		&p.NoticeState, &notified, &p.NoticeMethod, &review, &p.Deferral, &p.Notice, &noticeAt, &updated, &removed, &p.Version)
	if err != nil {
		return Person{}, err
	}
	p.RegisteredAt, p.NotifyDueAt, p.UpdatedAt = fromMS(registered), fromMS(due), fromMS(updated)
	p.NotifiedAt, p.ReviewAt, p.NoticeAt, p.RemovedAt = optMS(notified), optMS(review), optMS(noticeAt), optMS(removed)
	return p, nil
}

func queryPersons(ctx context.Context, q querier, tenantID, reportID string) ([]Person, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+personColumns+` FROM case_persons
		WHERE tenant_id = $1 AND report_id = $2 AND removed_at IS NULL ORDER BY position`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: persons: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan person: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Persons lists the persons concerned by a case, removed ones left out.
func (db *DB) Persons(ctx context.Context, tenantID, reportID string) ([]Person, error) {
	return queryPersons(ctx, db.read, tenantID, reportID)
}

// Persons lists the persons concerned by a case inside the transaction.
func (tx *Tx) Persons(ctx context.Context, tenantID, reportID string) ([]Person, error) {
	return queryPersons(ctx, tx.tx, tenantID, reportID)
}

// Person loads one person of a case who has not been removed.
func (db *DB) Person(ctx context.Context, tenantID, reportID, personID string) (Person, error) {
	p, err := scanPerson(db.read.QueryRowContext(ctx, `SELECT `+personColumns+` FROM case_persons
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`, tenantID, reportID, personID))
	if err != nil {
		return Person{}, fmt.Errorf("store: person: %w", notFound(err))
	}
	return p, nil
}

// NextPersonPosition is the position the next person of a case takes;
// removed persons keep theirs, so a pseudonym is never reused.
func (tx *Tx) NextPersonPosition(ctx context.Context, tenantID, reportID string) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM case_persons
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: next person position: %w", err)
	}
	return n, nil
}

// InsertPerson adds a person. Two people registered at once on the same
// case collide on the position and get ErrDuplicate.
func (tx *Tx) InsertPerson(ctx context.Context, p Person) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_persons (tenant_id, person_id, report_id, position, pseudonym, role,
		details, registered_at, notify_due_at, notice_state, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.TenantID, p.ID, p.ReportID, p.Position, p.Pseudonym, p.Role, p.Details, ms(p.RegisteredAt), ms(p.NotifyDueAt),
		p.NoticeState, ms(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert person: %w", duplicate(err))
	}
	return nil
}

func affectedOne(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n != 1 {
		return ErrNotFound
	}
	return nil
}

// UpdatePerson replaces a person's role and sealed details.
func (tx *Tx) UpdatePerson(ctx context.Context, tenantID, reportID, personID, role string, details []byte, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET role = $4, details = $5, updated_at = $6
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`,
		tenantID, reportID, personID, role, details, ms(at))
	return affectedOne(res, err, "update person")
}

// RemovePerson removes a person from a case: the sealed columns are
// emptied, and the row stays with its pseudonym for the journal.
func (tx *Tx) RemovePerson(ctx context.Context, tenantID, reportID, personID string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET details = NULL, deferral = NULL, notice = NULL,
		removed_at = $4, updated_at = $4
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`,
		tenantID, reportID, personID, ms(at))
	return affectedOne(res, err, "remove person")
}

// SetPersonNotified records that the person was notified, on when and by method.
func (tx *Tx) SetPersonNotified(ctx context.Context, tenantID, reportID, personID, state string, on time.Time, method string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET notice_state = $4, notified_at = $5, notice_method = $6,
		review_at = NULL, updated_at = $7
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`,
		tenantID, reportID, personID, state, ms(on), method, ms(at))
	return affectedOne(res, err, "set person notified")
}

// SetPersonDeferred records a deferral with its review date and sealed reason.
func (tx *Tx) SetPersonDeferred(ctx context.Context, tenantID, reportID, personID, state string, review time.Time, deferral []byte, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET notice_state = $4, review_at = $5, deferral = $6, updated_at = $7
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`,
		tenantID, reportID, personID, state, ms(review), deferral, ms(at))
	return affectedOne(res, err, "set person deferred")
}

// SetPersonNotice stores a generated notice (sealed) for the person.
func (tx *Tx) SetPersonNotice(ctx context.Context, tenantID, reportID, personID, state string, notice []byte, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET notice_state = $4, notice = $5, notice_at = $6, updated_at = $6
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND removed_at IS NULL`,
		tenantID, reportID, personID, state, notice, ms(at))
	return affectedOne(res, err, "set person notice")
}

// OpenNotification is a person whose notification is still open on a
// case the user holds the case key for. Nothing sealed.
type OpenNotification struct {
	ReportID     string
	CaseNumber   int64
	PersonID     string
	Pseudonym    string
	Role         string
	NoticeState  string
	RegisteredAt time.Time
	NotifyDueAt  time.Time
	ReviewAt     time.Time
	NoticeAt     time.Time
}

// OpenNotifications lists the persons not yet notified (in any of the
// given states) on the cases userID holds the case key for.
func (db *DB) OpenNotifications(ctx context.Context, tenantID, userID string, states ...string) ([]OpenNotification, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := []any{tenantID, userID, KeyCase, HolderUser}
	in := ""
	for i, s := range states {
		if i > 0 {
			in += ", "
		}
		args = append(args, s)
		in += fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT p.report_id, r.case_number, p.person_id, p.pseudonym, p.role, p.notice_state,
		p.registered_at, p.notify_due_at, p.review_at, p.notice_at
		FROM case_persons p
		JOIN reports r ON r.tenant_id = p.tenant_id AND r.report_id = p.report_id
		JOIN report_keys k ON k.tenant_id = p.tenant_id AND k.report_id = p.report_id
			AND k.key_kind = $3 AND k.holder_type = $4 AND k.holder_id = $2
		WHERE p.tenant_id = $1 AND p.removed_at IS NULL AND p.notice_state IN (`+in+`)
		ORDER BY p.notify_due_at, r.case_number, p.position`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: open notifications: %w", err)
	}
	defer rows.Close()
	var out []OpenNotification
	for rows.Next() {
		var n OpenNotification
		var registered, due int64
		var review, noticeAt *int64
		if err := rows.Scan(&n.ReportID, &n.CaseNumber, &n.PersonID, &n.Pseudonym, &n.Role, &n.NoticeState,
			&registered, &due, &review, &noticeAt); err != nil {
			return nil, fmt.Errorf("store: scan notification: %w", err)
		}
		n.RegisteredAt, n.NotifyDueAt, n.ReviewAt, n.NoticeAt = fromMS(registered), fromMS(due), optMS(review), optMS(noticeAt)
		out = append(out, n)
	}
	return out, rows.Err()
}
