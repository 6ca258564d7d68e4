package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Report is one submitted report (one case). Everything a whistleblower
// wrote is in the sealed byte fields; the rest is what the inbox needs.
type Report struct {
	TenantID             string
	ID                   string
	CaseNumber           int64
	ChannelID            string
	QuestionnaireID      string
	QuestionnaireVersion int
	Status               string
	ReceiptLookup        []byte
	FileRecipient        string
	FileIdentity         []byte // the report's age identity, sealed under the report key
	Answers              []byte // sealed under the report key
	IdentityAnswers      []byte // sealed under the identity key; nil when none given
	ReceivedAt           time.Time
	LastActivityAt       time.Time
	// Deadlines and milestones of the case; zero when not set.
	AckDueAt        time.Time
	AcknowledgedAt  time.Time
	FeedbackDueAt   time.Time
	FeedbackGivenAt time.Time
	ClosedAt        time.Time
	Outcome         string // a closing reason id, in clear for statistics
	// Exclusions lists the handlers the whistleblower excluded, sealed
	// under the case key: who was excluded says whom the report concerns.
	Exclusions []byte
}

// Key-wrap vocabulary: which key, held by what kind of holder.
const (
	KeyReport   = "report"
	KeyIdentity = "identity"
	// KeyCase seals what only staff may read (the journal); the receipt
	// never receives it.
	KeyCase = "case"

	HolderUser    = "user"
	HolderReceipt = "receipt"
)

// ReportKey is one wrapped copy of a report's key for one holder.
type ReportKey struct {
	TenantID   string
	ReportID   string
	Kind       string
	HolderType string
	HolderID   string
	Alg        string
	Wrapped    []byte
	CreatedAt  time.Time
}

// File is an attachment. Its name and type are sealed in Meta; its body
// is an encrypted stream in the blob store under BlobKey.
type File struct {
	TenantID   string
	ID         string
	ReportID   string
	BlobKey    string
	Meta       []byte
	AuthorType string
	AuthorID   string
	CreatedAt  time.Time
	Seq        int // upload order within one request
}

// Message is one message between whistleblower and handlers; Body is sealed.
type Message struct {
	TenantID   string
	ID         string
	ReportID   string
	AuthorType string
	AuthorID   string
	Body       []byte
	CreatedAt  time.Time
}

// Author types for files and messages.
const (
	AuthorWhistleblower = "whistleblower"
	AuthorStaff         = "staff"
)

const reportColumns = `tenant_id, report_id, case_number, channel_id, questionnaire_id, questionnaire_version, status,
	receipt_lookup, file_recipient, file_identity, answers, identity_answers, received_at, last_activity_at,
	ack_due_at, acknowledged_at, feedback_due_at, feedback_given_at, closed_at, outcome, next_due_at, exclusions`

func scanReport(row interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var received, activity int64
	var ackDue, acked, feedbackDue, feedbackGiven, closed *int64
	var nextDue int64
	err := row.Scan(&r.TenantID, &r.ID, &r.CaseNumber, &r.ChannelID, &r.QuestionnaireID, &r.QuestionnaireVersion, &r.Status,
		&r.ReceiptLookup, &r.FileRecipient, &r.FileIdentity, &r.Answers, &r.IdentityAnswers, &received, &activity,
		&ackDue, &acked, &feedbackDue, &feedbackGiven, &closed, &r.Outcome, &nextDue, &r.Exclusions)
	r.ReceivedAt = fromMS(received)
	r.LastActivityAt = fromMS(activity)
	r.AckDueAt, r.AcknowledgedAt, r.FeedbackDueAt = optMS(ackDue), optMS(acked), optMS(feedbackDue)
	r.FeedbackGivenAt, r.ClosedAt = optMS(feedbackGiven), optMS(closed)
	return r, err
}

// noDeadline stands for "no open deadline" in next_due_at. A far-future
// number rather than NULL keeps the column indexable and sorts the same on
// both engines (they disagree on where NULLs go).
const noDeadline int64 = 1<<53 - 1

// nextDue is the deadline the case waits on: acknowledgement until it is
// given, then feedback until it is given; none once closed.
func nextDue(r Report) int64 {
	switch {
	case !r.ClosedAt.IsZero():
	case r.AcknowledgedAt.IsZero() && !r.AckDueAt.IsZero():
		return ms(r.AckDueAt)
	case r.FeedbackGivenAt.IsZero() && !r.FeedbackDueAt.IsZero():
		return ms(r.FeedbackDueAt)
	}
	return noDeadline
}

// ErrDuplicateReceipt means the receipt lookup is taken: with 80-bit receipts
// this is a broken random source, never chance.
var ErrDuplicateReceipt = errors.New("store: receipt lookup already in use")

// InsertReport stores a report row.
func (tx *Tx) InsertReport(ctx context.Context, r Report) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO reports (`+reportColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		r.TenantID, r.ID, r.CaseNumber, r.ChannelID, r.QuestionnaireID, r.QuestionnaireVersion, r.Status,
		r.ReceiptLookup, r.FileRecipient, r.FileIdentity, r.Answers, r.IdentityAnswers, ms(r.ReceivedAt), ms(r.LastActivityAt),
		nullMS(r.AckDueAt), nullMS(r.AcknowledgedAt), nullMS(r.FeedbackDueAt), nullMS(r.FeedbackGivenAt), nullMS(r.ClosedAt), r.Outcome,
		nextDue(r), r.Exclusions)
	if err != nil {
		if isUniqueViolation(err) && strings.Contains(err.Error(), "receipt_lookup") {
			// The message names the constraint's columns on both engines.
			return ErrDuplicateReceipt
		}
		return fmt.Errorf("store: insert report: %w", err)
	}
	return nil
}

// InsertReportKey stores one wrapped key.
func (tx *Tx) InsertReportKey(ctx context.Context, k ReportKey) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO report_keys (tenant_id, report_id, key_kind, holder_type, holder_id, alg, wrapped, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.TenantID, k.ReportID, k.Kind, k.HolderType, k.HolderID, k.Alg, k.Wrapped, ms(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert report key: %w", err)
	}
	return nil
}

// InsertFile stores an attachment row; its blob must already be committed.
func (tx *Tx) InsertFile(ctx context.Context, f File) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO files (tenant_id, file_id, report_id, blob_key, meta, author_type, author_id, created_at, seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		f.TenantID, f.ID, f.ReportID, f.BlobKey, f.Meta, f.AuthorType, f.AuthorID, ms(f.CreatedAt), f.Seq)
	if err != nil {
		return fmt.Errorf("store: insert file: %w", err)
	}
	return nil
}

// InsertMessage stores a message.
func (tx *Tx) InsertMessage(ctx context.Context, m Message) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO messages (tenant_id, message_id, report_id, author_type, author_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.TenantID, m.ID, m.ReportID, m.AuthorType, m.AuthorID, m.Body, ms(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert message: %w", err)
	}
	return nil
}

// TouchReport moves a report's last activity forward (never backward).
func (tx *Tx) TouchReport(ctx context.Context, tenantID, reportID string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE reports SET last_activity_at = $3
		WHERE tenant_id = $1 AND report_id = $2 AND last_activity_at < $3`, tenantID, reportID, ms(at))
	if err != nil {
		return fmt.Errorf("store: touch report: %w", err)
	}
	_ = res
	return nil
}

// ReportByLookup finds the report a receipt opens.
func (db *DB) ReportByLookup(ctx context.Context, tenantID string, lookup []byte) (Report, error) {
	r, err := scanReport(db.read.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports
		WHERE tenant_id = $1 AND receipt_lookup = $2`, tenantID, lookup))
	if err != nil {
		return Report{}, fmt.Errorf("store: report by receipt: %w", notFound(err))
	}
	return r, nil
}

// Report loads a report by id.
func (db *DB) Report(ctx context.Context, tenantID, reportID string) (Report, error) {
	r, err := scanReport(db.read.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID))
	if err != nil {
		return Report{}, fmt.Errorf("store: report: %w", notFound(err))
	}
	return r, nil
}

// ReportKey loads one wrapped key; ErrNotFound means the holder has no access.
func (db *DB) ReportKey(ctx context.Context, tenantID, reportID, kind, holderType, holderID string) (ReportKey, error) {
	k := ReportKey{TenantID: tenantID, ReportID: reportID, Kind: kind, HolderType: holderType, HolderID: holderID}
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT alg, wrapped, created_at FROM report_keys
		WHERE tenant_id = $1 AND report_id = $2 AND key_kind = $3 AND holder_type = $4 AND holder_id = $5`,
		tenantID, reportID, kind, holderType, holderID).Scan(&k.Alg, &k.Wrapped, &created)
	if err != nil {
		return ReportKey{}, fmt.Errorf("store: report key: %w", notFound(err))
	}
	k.CreatedAt = fromMS(created)
	return k, nil
}

// Files lists a report's attachments in upload order.
func (db *DB) Files(ctx context.Context, tenantID, reportID string) ([]File, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, file_id, report_id, blob_key, meta, author_type, author_id, created_at
		FROM files WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, seq, file_id`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: files: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var created int64
		if err := rows.Scan(&f.TenantID, &f.ID, &f.ReportID, &f.BlobKey, &f.Meta, &f.AuthorType, &f.AuthorID, &created); err != nil {
			return nil, fmt.Errorf("store: scan file: %w", err)
		}
		f.CreatedAt = fromMS(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// File loads one attachment of one report.
func (db *DB) File(ctx context.Context, tenantID, reportID, fileID string) (File, error) {
	var f File
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT tenant_id, file_id, report_id, blob_key, meta, author_type, author_id, created_at
		FROM files WHERE tenant_id = $1 AND report_id = $2 AND file_id = $3`, tenantID, reportID, fileID).
		Scan(&f.TenantID, &f.ID, &f.ReportID, &f.BlobKey, &f.Meta, &f.AuthorType, &f.AuthorID, &created)
	if err != nil {
		return File{}, fmt.Errorf("store: file: %w", notFound(err))
	}
	f.CreatedAt = fromMS(created)
	return f, nil
}

// Messages lists a report's messages, oldest first.
func (db *DB) Messages(ctx context.Context, tenantID, reportID string) ([]Message, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, message_id, report_id, author_type, author_id, body, created_at
		FROM messages WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, message_id`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var created int64
		if err := rows.Scan(&m.TenantID, &m.ID, &m.ReportID, &m.AuthorType, &m.AuthorID, &m.Body, &created); err != nil {
			return nil, fmt.Errorf("store: scan message: %w", err)
		}
		m.CreatedAt = fromMS(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// BlobReferenced tells whether a committed file row or a live intake
// draft points at a blob; the orphan sweeper deletes blobs for which it is
// false.
func (db *DB) BlobReferenced(ctx context.Context, blobKey string) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM files WHERE blob_key = $1)
		+ (SELECT COUNT(*) FROM intake_draft_blobs WHERE blob_key = $1)
		+ (SELECT COUNT(*) FROM case_redactions WHERE blob_key = $1)
		+ (SELECT COUNT(*) FROM case_redactions WHERE conversion_key = $1)`, blobKey).Scan(&n); err != nil {
		return false, fmt.Errorf("store: blob referenced: %w", err)
	}
	return n > 0, nil
}

// DeleteReport removes a report. The wrapped keys go first: once they are
// gone the rest is unreadable noise even if a later step fails. It returns
// the blob keys the caller must delete from the blob store.
func (tx *Tx) DeleteReport(ctx context.Context, tenantID, reportID string) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT blob_key FROM files WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: list report blobs: %w", err)
	}
	var blobs []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: scan blob key: %w", err)
		}
		blobs = append(blobs, k)
	}
	rows.Close()
	// Anonymised copies are case content too: their outputs and kept
	// conversions go with the case.
	redacted, err := tx.redactionBlobs(ctx, tenantID, reportID, "")
	if err != nil {
		return nil, err
	}
	blobs = append(blobs, redacted...)
	for _, table := range []string{"report_keys", "identity_requests", "journal", "messages", "files", "case_reads", "reminders_sent", "case_holds", "retention_extensions", "case_disclosures", "oral_reports", "transcripts", "case_redactions", "case_persons", "case_person_versions", "case_exports", "case_tasks", "reports"} {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID); err != nil {
			return nil, fmt.Errorf("store: delete report from %s: %w", table, err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND kind = 'whistleblower' AND subject_id = $2`, tenantID, reportID); err != nil {
		return nil, fmt.Errorf("store: delete report sessions: %w", err)
	}
	return blobs, nil
}

// CountReports counts a tenant's reports.
func (db *DB) CountReports(ctx context.Context, tenantID string) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count reports: %w", err)
	}
	return n, nil
}

// Holder is a staff user who holds a case's report key.
type Holder struct {
	UserID      string
	Email       string
	DisplayName string
}

// ReportHolders lists the users who hold the report key of a case.
func (db *DB) ReportHolders(ctx context.Context, tenantID, reportID string) ([]Holder, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.user_id, u.email, u.display_name FROM report_keys k
		JOIN users u ON u.tenant_id = k.tenant_id AND u.user_id = k.holder_id
		WHERE k.tenant_id = $1 AND k.report_id = $2 AND k.key_kind = 'report' AND k.holder_type = 'user'
		ORDER BY u.email`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: report holders: %w", err)
	}
	defer rows.Close()
	var out []Holder
	for rows.Next() {
		var h Holder
		if err := rows.Scan(&h.UserID, &h.Email, &h.DisplayName); err != nil {
			return nil, fmt.Errorf("store: scan holder: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// DeleteUserReportKeys removes every key of a case a user holds.
func (tx *Tx) DeleteUserReportKeys(ctx context.Context, tenantID, reportID, userID string) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM report_keys
		WHERE tenant_id = $1 AND report_id = $2 AND holder_type = 'user' AND holder_id = $3`, tenantID, reportID, userID)
	if err != nil {
		return 0, fmt.Errorf("store: delete user report keys: %w", err)
	}
	return res.RowsAffected()
}
