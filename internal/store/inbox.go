package store

import (
	"context"
	"fmt"
	"time"
)

// InboxSort names the orderings the inbox offers; anything else falls back
// to newest first. The map keeps user input out of the SQL text.
var inboxOrder = map[string]string{
	// The earlier of the statutory deadline and an open task's (RC-2).
	"due":      "CASE WHEN r.task_due_at < r.next_due_at THEN r.task_due_at ELSE r.next_due_at END %s, r.received_at DESC, r.report_id DESC",
	"received": "r.received_at %s, r.report_id %[1]s",
	"activity": "r.last_activity_at %s, r.report_id %[1]s",
	"status":   "r.status %s, r.received_at %[1]s, r.report_id %[1]s",
	"number":   "r.case_number %s",
	"channel":  "r.channel_id %s, r.received_at %[1]s, r.report_id %[1]s",
}

// InboxQuery selects one page of the cases a user holds a key for.
type InboxQuery struct {
	TenantID string
	UserID   string
	Sort     string // due (the default: most urgent first), received, activity, status, number, channel
	Asc      bool
	Limit    int
	Offset   int
}

// InboxRow is what the inbox shows of a case: nothing sealed.
type InboxRow struct {
	ReportID       string
	CaseNumber     int64
	ChannelID      string
	Status         string
	ReceivedAt     time.Time
	LastActivityAt time.Time
	ReadAt         time.Time // zero if the user never opened it
	NextDueAt      time.Time // the open statutory deadline; zero if none
	Acknowledged   bool      // whether NextDueAt is the feedback deadline
	TaskDueAt      time.Time // the earliest open task's due time (RC-2); zero if none
}

// Unread tells whether something happened on the case since the user last opened it.
func (r InboxRow) Unread() bool { return r.ReadAt.Before(r.LastActivityAt) }

// InboxCountWindow bounds how far past the requested page the inbox counts.
// Counting every case costs a scan of all of the user's keys (tens of
// milliseconds at 100,000 cases); beyond the window the total is reported
// as a lower bound ("more than N"), which is all a person paging needs.
const InboxCountWindow = 10000

// InboxPage is one page of the inbox.
type InboxPage struct {
	Rows []InboxRow
	// Total counts the cases visible to the user; when TotalIsLowerBound
	// is set there are more than Total.
	Total             int
	TotalIsLowerBound bool
}

// Inbox returns one page and the number of cases visible to the user. It
// walks the reports in index order and keeps those the user holds a key
// for, so the first pages stay fast however many cases there are.
func (db *DB) Inbox(ctx context.Context, q InboxQuery) (InboxPage, error) {
	order, ok := inboxOrder[q.Sort]
	if !ok {
		// Due and overdue cases first (CW-2, CW-3): the nearest open
		// deadline leads, cases without one follow, newest first among equals.
		order, q.Asc = inboxOrder["due"], true
	}
	dir := "DESC"
	if q.Asc {
		dir = "ASC"
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 50
	}
	q.Offset = max(q.Offset, 0)
	var page InboxPage
	countLimit := q.Offset + q.Limit + InboxCountWindow
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM report_keys
		WHERE tenant_id = $1 AND holder_type = 'user' AND holder_id = $2 AND key_kind = 'report' LIMIT $3) visible`,
		q.TenantID, q.UserID, countLimit+1).Scan(&page.Total); err != nil {
		return InboxPage{}, fmt.Errorf("store: count inbox: %w", err)
	}
	if page.Total > countLimit {
		page.Total, page.TotalIsLowerBound = countLimit, true
	}
	rows, err := db.read.QueryContext(ctx, `SELECT r.report_id, r.case_number, r.channel_id, r.status,
			r.received_at, r.last_activity_at, cr.read_at, r.next_due_at, r.acknowledged_at, r.task_due_at
		FROM reports r
		LEFT JOIN case_reads cr ON cr.tenant_id = r.tenant_id AND cr.report_id = r.report_id AND cr.user_id = $2
		WHERE r.tenant_id = $1 AND EXISTS (SELECT 1 FROM report_keys k
			WHERE k.tenant_id = r.tenant_id AND k.report_id = r.report_id
			AND k.key_kind = 'report' AND k.holder_type = 'user' AND k.holder_id = $2)
		ORDER BY `+fmt.Sprintf(order, dir)+`
		LIMIT $3 OFFSET $4`, q.TenantID, q.UserID, q.Limit, q.Offset)
	if err != nil {
		return InboxPage{}, fmt.Errorf("store: inbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r InboxRow
		var received, activity int64
		var read, acked *int64
		var nextDue, taskDue int64
		if err := rows.Scan(&r.ReportID, &r.CaseNumber, &r.ChannelID, &r.Status, &received, &activity, &read, &nextDue, &acked, &taskDue); err != nil {
			return InboxPage{}, fmt.Errorf("store: scan inbox row: %w", err)
		}
		r.ReceivedAt, r.LastActivityAt, r.ReadAt = fromMS(received), fromMS(activity), optMS(read)
		if nextDue != noDeadline {
			r.NextDueAt = fromMS(nextDue)
		}
		r.Acknowledged = acked != nil
		if taskDue != noDeadline {
			r.TaskDueAt = fromMS(taskDue)
		}
		page.Rows = append(page.Rows, r)
	}
	return page, rows.Err()
}

// MarkRead records that a user has seen a case as of at.
func (db *DB) MarkRead(ctx context.Context, tenantID, reportID, userID string, at time.Time) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO case_reads (tenant_id, report_id, user_id, read_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, report_id, user_id) DO UPDATE SET read_at = excluded.read_at`,
		tenantID, reportID, userID, ms(at))
	if err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	return nil
}
