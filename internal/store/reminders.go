package store

import (
	"context"
	"fmt"
	"time"
)

// DueCase is an open case with a pending deadline, as the reminder job
// needs it: no report content, only numbers, dates and who to remind.
type DueCase struct {
	ReportID        string
	CaseNumber      int64
	ReceivedAt      time.Time
	AckDueAt        time.Time // zero when not set
	AcknowledgedAt  time.Time // zero while not acknowledged
	FeedbackDueAt   time.Time // zero when not set
	FeedbackGivenAt time.Time // zero while no feedback was given
	Handlers        []CaseHandler
}

// CaseHandler is an enabled staff user who holds a key to a case.
type CaseHandler struct {
	UserID string
	Email  string
}

// SetDeadlines stores a case's acknowledgement and feedback deadlines, and
// recomputes next_due_at from them as InsertReport does. A zero time clears
// that deadline.
func (db *DB) SetDeadlines(ctx context.Context, tenantID, reportID string, ackDue, feedbackDue time.Time) error {
	// The CASTs give PostgreSQL one type for each parameter.
	res, err := db.write.ExecContext(ctx, `UPDATE reports SET ack_due_at = CAST($3 AS BIGINT), feedback_due_at = CAST($4 AS BIGINT),
		next_due_at = CASE
			WHEN closed_at IS NOT NULL THEN $5
			WHEN acknowledged_at IS NULL AND feedback_given_at IS NULL THEN COALESCE(CAST($3 AS BIGINT), CAST($4 AS BIGINT), $5)
			WHEN acknowledged_at IS NULL THEN COALESCE(CAST($3 AS BIGINT), $5)
			WHEN feedback_given_at IS NULL THEN COALESCE(CAST($4 AS BIGINT), $5)
			ELSE $5 END
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID, optionalMS(ackDue), optionalMS(feedbackDue), noDeadline)
	if err != nil {
		return fmt.Errorf("store: set deadlines: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set deadlines: %w", err)
	} else if n == 0 {
		return fmt.Errorf("store: set deadlines: %w", ErrNotFound)
	}
	return nil
}

func optionalMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// DueCases lists the tenant's open cases (closed_at IS NULL) whose
// acknowledgement is pending and due before before, or whose feedback is
// pending and due before before, in case-number order. next_due_at (the
// earliest open deadline, kept by every writer of the deadline columns)
// lets the index on it find them. Each comes with the
// enabled users who hold its report key; a case nobody can be reminded of
// is listed with no handlers, so the caller can log it.
func (db *DB) DueCases(ctx context.Context, tenantID string, before time.Time) ([]DueCase, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.report_id, r.case_number, r.received_at,
			r.ack_due_at, r.acknowledged_at, r.feedback_due_at, r.feedback_given_at, u.user_id, u.email
		FROM reports r
		LEFT JOIN report_keys k ON k.tenant_id = r.tenant_id AND k.report_id = r.report_id
			AND k.key_kind = $3 AND k.holder_type = $4
		LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.user_id = k.holder_id AND u.disabled_at IS NULL
		WHERE r.tenant_id = $1 AND r.next_due_at < $2 AND r.closed_at IS NULL
			AND ((r.acknowledged_at IS NULL AND r.ack_due_at < $2)
				OR (r.feedback_given_at IS NULL AND r.feedback_due_at < $2))
		ORDER BY r.case_number, u.user_id`, tenantID, ms(before), KeyReport, HolderUser)
	if err != nil {
		return nil, fmt.Errorf("store: due cases: %w", err)
	}
	defer rows.Close()
	var out []DueCase
	for rows.Next() {
		var c DueCase
		var received int64
		var ackDue, acked, feedbackDue, feedbackGiven *int64
		var userID, email *string
		if err := rows.Scan(&c.ReportID, &c.CaseNumber, &received, &ackDue, &acked, &feedbackDue, &feedbackGiven,
			&userID, &email); err != nil {
			return nil, fmt.Errorf("store: scan due case: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ReportID != c.ReportID {
			c.ReceivedAt = fromMS(received)
			c.AckDueAt, c.AcknowledgedAt = optMS(ackDue), optMS(acked)
			c.FeedbackDueAt, c.FeedbackGivenAt = optMS(feedbackDue), optMS(feedbackGiven)
			out = append(out, c)
		}
		if userID != nil && email != nil {
			last := &out[len(out)-1]
			last.Handlers = append(last.Handlers, CaseHandler{UserID: *userID, Email: *email})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due cases: %w", err)
	}
	return out, nil
}

// MarkReminderSent claims the reminder of kind about a case for one user. It
// returns false when that reminder was already claimed, so a rerun, or
// another node, sends nothing twice.
func (db *DB) MarkReminderSent(ctx context.Context, tenantID, reportID, kind, userID string, at time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO reminders_sent (tenant_id, report_id, kind, user_id, sent_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, tenantID, reportID, kind, userID, ms(at))
	if err != nil {
		return false, fmt.Errorf("store: mark reminder sent: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: mark reminder sent: %w", err)
	}
	return n == 1, nil
}

// UnmarkReminderSent withdraws a claim whose e-mail could not be sent, so
// the next run tries again.
func (db *DB) UnmarkReminderSent(ctx context.Context, tenantID, reportID, kind, userID string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM reminders_sent
		WHERE tenant_id = $1 AND report_id = $2 AND kind = $3 AND user_id = $4`, tenantID, reportID, kind, userID)
	if err != nil {
		return fmt.Errorf("store: unmark reminder sent: %w", err)
	}
	return nil
}

// ResetReminders forgets that reminders of the given kinds were sent about
// a case, for every user, so that a moved deadline (an extension, or the
// feedback deadline recounted from the acknowledgement) is reminded of
// afresh.
func (db *DB) ResetReminders(ctx context.Context, tenantID, reportID string, kinds ...string) error {
	for _, kind := range kinds {
		if _, err := db.write.ExecContext(ctx, `DELETE FROM reminders_sent WHERE tenant_id = $1 AND report_id = $2 AND kind = $3`,
			tenantID, reportID, kind); err != nil {
			return fmt.Errorf("store: reset reminders: %w", err)
		}
	}
	return nil
}
