package store

import (
	"context"
	"fmt"
	"time"
)

// DSR link states. A link starts pending; restriction moves it to
// restricted and, once lifted, to lifted; erasure and rectification move it
// to erased or rectified. Only a pending link can be removed.
const (
	LinkPending    = "pending"
	LinkRestricted = "restricted"
	LinkLifted     = "lifted"
	LinkErased     = "erased"
	LinkRectified  = "rectified"
)

// DSRLink ties a data-subject request to a case, or to one person of it
// (PersonID set), so that erasure, restriction and rectification act on
// the real data (GDPR arts. 16 to 18). Everything in it is in clear: ids,
// the case number and pseudonym, states, times and the art. 17(3) ground
// token; what a person typed about it is sealed in the register entries.
type DSRLink struct {
	TenantID    string
	ID          string
	RequestID   string
	RequestType string
	ReportID    string
	PersonID    string // "" for the whole case
	CaseNumber  int64
	Pseudonym   string
	State       string
	Ground      string // "", or the art. 17(3) point under which journal entries were kept
	CreatedBy   string
	CreatedAt   time.Time
	ActedBy     string
	ActedAt     time.Time
	LiftedBy    string
	LiftedAt    time.Time
}

const dsrLinkColumns = `tenant_id, link_id, request_id, request_type, report_id, person_id, case_number, pseudonym, state, ground,
	created_by, created_at, acted_by, acted_at, lifted_by, lifted_at`

func scanDSRLink(r rowScanner) (DSRLink, error) {
	var l DSRLink
	var created int64
	var acted, lifted *int64
	err := r.Scan(&l.TenantID, &l.ID, &l.RequestID, &l.RequestType, &l.ReportID, &l.PersonID, &l.CaseNumber, &l.Pseudonym,
		&l.State, &l.Ground, &l.CreatedBy, &created, &l.ActedBy, &acted, &l.LiftedBy, &lifted)
	if err != nil {
		return DSRLink{}, err
	}
	l.CreatedAt, l.ActedAt, l.LiftedAt = fromMS(created), optMS(acted), optMS(lifted)
	return l, nil
}

func queryDSRLinks(ctx context.Context, q querier, query string, args ...any) ([]DSRLink, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+dsrLinkColumns+` FROM dsr_links WHERE `+query+` ORDER BY created_at, link_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: request links: %w", err)
	}
	defer rows.Close()
	var out []DSRLink
	for rows.Next() {
		l, err := scanDSRLink(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan request link: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// InsertDSRLink records a link; ErrDuplicate when the request is already
// linked to the same case or person.
func (tx *Tx) InsertDSRLink(ctx context.Context, l DSRLink) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO dsr_links (tenant_id, link_id, request_id, request_type, report_id, person_id,
		case_number, pseudonym, state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		l.TenantID, l.ID, l.RequestID, l.RequestType, l.ReportID, l.PersonID, l.CaseNumber, l.Pseudonym, l.State,
		l.CreatedBy, ms(l.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert request link: %w", duplicate(err))
	}
	return nil
}

// DSRLinksOfRequest lists the links of one request.
func (db *DB) DSRLinksOfRequest(ctx context.Context, tenantID, requestID string) ([]DSRLink, error) {
	return queryDSRLinks(ctx, db.read, `tenant_id = $1 AND request_id = $2`, tenantID, requestID)
}

// DSRLinksOfRequest lists the links of one request inside the transaction.
func (tx *Tx) DSRLinksOfRequest(ctx context.Context, tenantID, requestID string) ([]DSRLink, error) {
	return queryDSRLinks(ctx, tx.tx, `tenant_id = $1 AND request_id = $2`, tenantID, requestID)
}

// DSRLinksOfCase lists the links that name one case.
func (db *DB) DSRLinksOfCase(ctx context.Context, tenantID, reportID string) ([]DSRLink, error) {
	return queryDSRLinks(ctx, db.read, `tenant_id = $1 AND report_id = $2`, tenantID, reportID)
}

// LockDSRLink returns one link of a request, locked until the transaction
// ends (a no-op UPDATE … RETURNING, as in LockDSR).
func (tx *Tx) LockDSRLink(ctx context.Context, tenantID, requestID, linkID string) (DSRLink, error) {
	l, err := scanDSRLink(tx.tx.QueryRowContext(ctx, `UPDATE dsr_links SET state = state
		WHERE tenant_id = $1 AND request_id = $2 AND link_id = $3 RETURNING `+dsrLinkColumns, tenantID, requestID, linkID))
	if err != nil {
		return DSRLink{}, fmt.Errorf("store: lock request link: %w", notFound(err))
	}
	return l, nil
}

// SetDSRLinkActed records the action taken on a link.
func (tx *Tx) SetDSRLinkActed(ctx context.Context, tenantID, linkID, state, ground, by string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE dsr_links SET state = $3, ground = $4, acted_by = $5, acted_at = $6
		WHERE tenant_id = $1 AND link_id = $2`, tenantID, linkID, state, ground, by, ms(at))
	return affectedOne(res, err, "set request link")
}

// SetDSRLinkLifted records that a restriction was lifted.
func (tx *Tx) SetDSRLinkLifted(ctx context.Context, tenantID, linkID, by string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE dsr_links SET state = $3, lifted_by = $4, lifted_at = $5
		WHERE tenant_id = $1 AND link_id = $2 AND state = $6`, tenantID, linkID, LinkLifted, by, ms(at), LinkRestricted)
	return affectedOne(res, err, "lift request link")
}

// DeleteDSRLink removes a link nothing was done on yet.
func (tx *Tx) DeleteDSRLink(ctx context.Context, tenantID, linkID string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM dsr_links WHERE tenant_id = $1 AND link_id = $2 AND state = $3`,
		tenantID, linkID, LinkPending)
	return affectedOne(res, err, "delete request link")
}

// Restrictions lists the restrictions in force on a case: the links in
// state restricted, whole-case ones with an empty PersonID.
func (db *DB) Restrictions(ctx context.Context, tenantID, reportID string) ([]DSRLink, error) {
	return queryDSRLinks(ctx, db.read, `tenant_id = $1 AND report_id = $2 AND state = $3`, tenantID, reportID, LinkRestricted)
}

// Restrictions lists the restrictions in force on a case inside the
// transaction, so a check holds until the caller's change commits.
func (tx *Tx) Restrictions(ctx context.Context, tenantID, reportID string) ([]DSRLink, error) {
	return queryDSRLinks(ctx, tx.tx, `tenant_id = $1 AND report_id = $2 AND state = $3`, tenantID, reportID, LinkRestricted)
}

// ReportIDByCaseNumber finds a case by its number.
func (db *DB) ReportIDByCaseNumber(ctx context.Context, tenantID string, number int64) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT report_id FROM reports WHERE tenant_id = $1 AND case_number = $2`,
		tenantID, number).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("store: case by number: %w", notFound(err))
	}
	return id, nil
}

// PersonIDByPseudonym finds a person of a case who has not been removed by
// the pseudonym ("Person B") everybody may see.
func (db *DB) PersonIDByPseudonym(ctx context.Context, tenantID, reportID, pseudonym string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT person_id FROM case_persons
		WHERE tenant_id = $1 AND report_id = $2 AND pseudonym = $3 AND removed_at IS NULL`, tenantID, reportID, pseudonym).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("store: person by pseudonym: %w", notFound(err))
	}
	return id, nil
}

// ErasePerson erases a person concerned (GDPR art. 17): every sealed
// column is emptied, earlier versions of the details are deleted, and the
// row stays with its pseudonym, marked removed and erased, so the
// pseudonym is never reused and the journal still reads.
func (tx *Tx) ErasePerson(ctx context.Context, tenantID, reportID, personID string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET details = NULL, deferral = NULL, notice = NULL,
		removed_at = $4, erased_at = $4, updated_at = $4
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND erased_at IS NULL`,
		tenantID, reportID, personID, ms(at))
	if err := affectedOne(res, err, "erase person"); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_person_versions WHERE tenant_id = $1 AND person_id = $2`,
		tenantID, personID); err != nil {
		return fmt.Errorf("store: erase person versions: %w", err)
	}
	return nil
}

// RectifyPerson replaces a person's sealed details by a corrected version
// (GDPR art. 16). The superseded details are kept, still sealed, as
// version n in case_person_versions; the row moves to version n+1. It
// returns the new version; ErrNotFound if the person was removed or the
// version moved meanwhile.
func (tx *Tx) RectifyPerson(ctx context.Context, p Person, details []byte, at time.Time) (int, error) {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_person_versions (tenant_id, person_id, version, report_id, details, superseded_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.TenantID, p.ID, p.Version, p.ReportID, p.Details, ms(at))
	if err != nil {
		return 0, fmt.Errorf("store: keep person version: %w", duplicate(err))
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_persons SET details = $5, version = version + 1, updated_at = $6
		WHERE tenant_id = $1 AND report_id = $2 AND person_id = $3 AND version = $4 AND removed_at IS NULL`,
		p.TenantID, p.ReportID, p.ID, p.Version, details, ms(at))
	if err := affectedOne(res, err, "rectify person"); err != nil {
		return 0, err
	}
	return p.Version + 1, nil
}

// PersonVersions lists the superseded details of a person, oldest first.
func (db *DB) PersonVersions(ctx context.Context, tenantID, personID string) ([]PersonVersion, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version, details, superseded_at FROM case_person_versions
		WHERE tenant_id = $1 AND person_id = $2 ORDER BY version`, tenantID, personID)
	if err != nil {
		return nil, fmt.Errorf("store: person versions: %w", err)
	}
	defer rows.Close()
	var out []PersonVersion
	for rows.Next() {
		var v PersonVersion
		var at int64
		if err := rows.Scan(&v.Version, &v.Details, &at); err != nil {
			return nil, fmt.Errorf("store: scan person version: %w", err)
		}
		v.SupersededAt = fromMS(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// PersonVersion is a superseded version of a person's sealed details.
type PersonVersion struct {
	Version      int
	Details      []byte
	SupersededAt time.Time
}

// PersonVersionOf returns the current version of a person's details.
func (db *DB) PersonVersionOf(ctx context.Context, tenantID, personID string) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT version FROM case_persons WHERE tenant_id = $1 AND person_id = $2`,
		tenantID, personID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: person version: %w", notFound(err))
	}
	return v, nil
}

// JournalTx lists a case's journal entries inside the transaction.
func (tx *Tx) Journal(ctx context.Context, tenantID, reportID string) ([]JournalEntry, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT tenant_id, report_id, entry_id, seq, kind, author_type, author_id, supersedes, body, created_at
		FROM journal WHERE tenant_id = $1 AND report_id = $2 ORDER BY seq`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: journal: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var created int64
		if err := rows.Scan(&e.TenantID, &e.ReportID, &e.ID, &e.Seq, &e.Kind, &e.AuthorType, &e.AuthorID, &e.Supersedes, &e.Body, &created); err != nil {
			return nil, fmt.Errorf("store: scan journal: %w", err)
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ResealJournalEntry replaces the sealed body of one journal entry. The
// journal is otherwise append-only; this exists only so that an erasure
// (GDPR art. 17) can replace an entry by a redacted copy of itself.
func (tx *Tx) ResealJournalEntry(ctx context.Context, tenantID, reportID, entryID string, body []byte) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE journal SET body = $4 WHERE tenant_id = $1 AND report_id = $2 AND entry_id = $3`,
		tenantID, reportID, entryID, body)
	return affectedOne(res, err, "reseal journal entry")
}

// DeletionErasure is the basis of a deletion on a data-subject request.
const DeletionErasure = "erasure_request"

// InsertErasureRecord appends the deletion record of a case erased on a
// data-subject request: basis "erasure_request" and the request's id
// instead of a retention policy. Like every deletion record it holds no
// content.
func (tx *Tx) InsertErasureRecord(ctx context.Context, r DeletionRecord, requestID string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO deletion_records (tenant_id, record_id, category, case_number, channel_id,
		closed_at, deleted_at, policy_channel_id, policy_category, policy_months, basis, deleted_by, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', 0, $8, $9, $10)`,
		r.TenantID, r.ID, r.Category, r.CaseNumber, r.ChannelID, nullMS(r.ClosedAt), ms(r.DeletedAt), DeletionErasure,
		r.DeletedBy, requestID)
	if err != nil {
		return fmt.Errorf("store: insert erasure record: %w", err)
	}
	return nil
}
