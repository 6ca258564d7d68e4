package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// JournalEntry is one append-only entry of a case journal. What was
// learned or done, its source and date are sealed in Body under the case
// key; Kind and the author are in clear so the journal can be listed.
type JournalEntry struct {
	TenantID   string
	ReportID   string
	ID         string
	Seq        int64
	Kind       string
	AuthorType string
	AuthorID   string
	Supersedes string // id of the entry this one corrects, or ""
	Body       []byte
	CreatedAt  time.Time
}

// ErrStateChanged means the case was not in the state the caller expected:
// someone else moved it first.
var ErrStateChanged = errors.New("store: case state changed meanwhile")

// AppendJournal adds an entry with the case's next sequence number. The
// counter on the report row is taken with UPDATE … RETURNING, which locks
// the row on PostgreSQL, so entries of one case never share a number.
func (tx *Tx) AppendJournal(ctx context.Context, e JournalEntry) (JournalEntry, error) {
	err := tx.tx.QueryRowContext(ctx, `UPDATE reports SET journal_seq = journal_seq + 1
		WHERE tenant_id = $1 AND report_id = $2 RETURNING journal_seq`, e.TenantID, e.ReportID).Scan(&e.Seq)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("store: journal sequence: %w", notFound(err))
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO journal (tenant_id, report_id, entry_id, seq, kind, author_type, author_id, supersedes, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.TenantID, e.ReportID, e.ID, e.Seq, e.Kind, e.AuthorType, e.AuthorID, e.Supersedes, e.Body, ms(e.CreatedAt))
	if err != nil {
		return JournalEntry{}, fmt.Errorf("store: append journal: %w", err)
	}
	return e, nil
}

// Journal lists a case's entries in order.
func (db *DB) Journal(ctx context.Context, tenantID, reportID string) ([]JournalEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, report_id, entry_id, seq, kind, author_type, author_id, supersedes, body, created_at
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

// JournalEntryByID loads one entry of a case.
func (db *DB) JournalEntryByID(ctx context.Context, tenantID, reportID, entryID string) (JournalEntry, error) {
	var e JournalEntry
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT tenant_id, report_id, entry_id, seq, kind, author_type, author_id, supersedes, body, created_at
		FROM journal WHERE tenant_id = $1 AND report_id = $2 AND entry_id = $3`, tenantID, reportID, entryID).
		Scan(&e.TenantID, &e.ReportID, &e.ID, &e.Seq, &e.Kind, &e.AuthorType, &e.AuthorID, &e.Supersedes, &e.Body, &created)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("store: journal entry: %w", notFound(err))
	}
	e.CreatedAt = fromMS(created)
	return e, nil
}

// StateChange moves a case from one state to another.
type StateChange struct {
	TenantID, ReportID string
	From, To           string
	At                 time.Time
	Outcome            string // set when closing; cleared on reopening
	Close, Reopen      bool
}

// ChangeState applies c only if the case is still in c.From.
func (tx *Tx) ChangeState(ctx context.Context, c StateChange) error {
	closedAt := any(nil)
	if c.Close {
		closedAt = ms(c.At)
	}
	// Closing ends every open deadline; reopening starts none (feedback
	// was given with the outcome).
	res, err := tx.tx.ExecContext(ctx, `UPDATE reports SET status = $4, closed_at = $5, outcome = $6,
		last_activity_at = CASE WHEN last_activity_at < $7 THEN $7 ELSE last_activity_at END,
		next_due_at = CASE WHEN $8 = 1 THEN $9 ELSE next_due_at END
		WHERE tenant_id = $1 AND report_id = $2 AND status = $3`,
		c.TenantID, c.ReportID, c.From, c.To, closedAt, c.Outcome, ms(c.At), boolInt(c.Close), noDeadline)
	if err != nil {
		return fmt.Errorf("store: change state: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrStateChanged
	}
	return nil
}

// SetAcknowledged records the acknowledgement and the feedback deadline
// counted from it, once; a later call changes nothing.
func (tx *Tx) SetAcknowledged(ctx context.Context, tenantID, reportID string, at, feedbackDue time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE reports SET acknowledged_at = $3, feedback_due_at = $4,
		next_due_at = CASE WHEN closed_at IS NULL AND feedback_given_at IS NULL THEN $4 ELSE next_due_at END
		WHERE tenant_id = $1 AND report_id = $2 AND acknowledged_at IS NULL`, tenantID, reportID, ms(at), ms(feedbackDue))
	if err != nil {
		return false, fmt.Errorf("store: set acknowledged: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetFeedbackGiven records that feedback reached the whistleblower, once.
func (tx *Tx) SetFeedbackGiven(ctx context.Context, tenantID, reportID string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE reports SET feedback_given_at = $3, next_due_at = $4
		WHERE tenant_id = $1 AND report_id = $2 AND feedback_given_at IS NULL`, tenantID, reportID, ms(at), noDeadline)
	if err != nil {
		return fmt.Errorf("store: set feedback given: %w", err)
	}
	return nil
}

// SetFeedbackDue moves the feedback deadline (an extension).
func (tx *Tx) SetFeedbackDue(ctx context.Context, tenantID, reportID string, due time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE reports SET feedback_due_at = $3,
		next_due_at = CASE WHEN closed_at IS NULL AND feedback_given_at IS NULL AND acknowledged_at IS NOT NULL THEN $3 ELSE next_due_at END
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID, ms(due))
	if err != nil {
		return fmt.Errorf("store: set feedback due: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
