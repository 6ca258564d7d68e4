package store

import (
	"context"
	"fmt"
	"time"
)

// Tasks on a case (table case_tasks, RC-2). Request and Answer are
// sealed by the caller under the report key; the store never sees their
// text.

// Task kinds and states.
const (
	TaskMeeting = "meeting"

	TaskOpen     = "open"
	TaskDone     = "done"
	TaskDeclined = "declined"
)

// Task is one task on a case.
type Task struct {
	TenantID     string
	ID           string
	ReportID     string
	Kind         string
	Status       string
	RequestedAt  time.Time
	DueAt        time.Time
	Request      []byte // sealed; nil when the whistleblower wrote nothing
	Answer       []byte // sealed; the reason of a refusal or a note on the meeting
	OralReportID string // the oral report or minutes of the meeting, if any
	ClosedBy     string
	ClosedAt     time.Time
}

// InsertTask adds an open task and brings the case's task due time forward.
func (tx *Tx) InsertTask(ctx context.Context, t Task) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO case_tasks (tenant_id, task_id, report_id, kind, status, requested_at, due_at, request)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.TenantID, t.ID, t.ReportID, t.Kind, TaskOpen, ms(t.RequestedAt), ms(t.DueAt), t.Request)
	if err != nil {
		return fmt.Errorf("store: insert task: %w", err)
	}
	return tx.refreshTaskDue(ctx, t.TenantID, t.ReportID)
}

// CloseTask marks an open task done or declined. ErrStateChanged means it
// was no longer open (someone closed it first).
func (tx *Tx) CloseTask(ctx context.Context, t Task) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE case_tasks SET status = $4, answer = $5, oral_report_id = $6, closed_by = $7, closed_at = $8
		WHERE tenant_id = $1 AND report_id = $2 AND task_id = $3 AND status = 'open'`,
		t.TenantID, t.ReportID, t.ID, t.Status, t.Answer, t.OralReportID, t.ClosedBy, ms(t.ClosedAt))
	if err != nil {
		return fmt.Errorf("store: close task: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: close task: %w", err)
	} else if n != 1 {
		return ErrStateChanged
	}
	return tx.refreshTaskDue(ctx, t.TenantID, t.ReportID)
}

// refreshTaskDue sets reports.task_due_at to the earliest open task's due
// time, or to noDeadline when none is open.
func (tx *Tx) refreshTaskDue(ctx context.Context, tenantID, reportID string) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE reports SET task_due_at = COALESCE((SELECT MIN(t.due_at) FROM case_tasks t
			WHERE t.tenant_id = $1 AND t.report_id = $2 AND t.status = 'open'), $3)
		WHERE tenant_id = $1 AND report_id = $2`, tenantID, reportID, noDeadline)
	if err != nil {
		return fmt.Errorf("store: task due: %w", err)
	}
	return nil
}

// Task loads one task of a case.
func (db *DB) Task(ctx context.Context, tenantID, reportID, taskID string) (Task, error) {
	rows, err := db.tasks(ctx, ` AND task_id = $3`, tenantID, reportID, taskID)
	if err != nil {
		return Task{}, err
	}
	if len(rows) == 0 {
		return Task{}, fmt.Errorf("store: task: %w", ErrNotFound)
	}
	return rows[0], nil
}

// Tasks lists a case's tasks, oldest first.
func (db *DB) Tasks(ctx context.Context, tenantID, reportID string) ([]Task, error) {
	return db.tasks(ctx, "", tenantID, reportID)
}

func (db *DB) tasks(ctx context.Context, extra string, args ...any) ([]Task, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT tenant_id, task_id, report_id, kind, status, requested_at, due_at, request, answer,
			oral_report_id, closed_by, closed_at
		FROM case_tasks WHERE tenant_id = $1 AND report_id = $2`+extra+` ORDER BY requested_at, task_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		var t Task
		var requested, due int64
		var closed *int64
		if err := rows.Scan(&t.TenantID, &t.ID, &t.ReportID, &t.Kind, &t.Status, &requested, &due, &t.Request, &t.Answer,
			&t.OralReportID, &t.ClosedBy, &closed); err != nil {
			return nil, fmt.Errorf("store: scan task: %w", err)
		}
		t.RequestedAt, t.DueAt, t.ClosedAt = fromMS(requested), fromMS(due), optMS(closed)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	return out, nil
}

// DueTask is an open task due before a time, with the handlers to remind.
type DueTask struct {
	ReportID   string
	CaseNumber int64
	TaskID     string
	Kind       string
	DueAt      time.Time
	Handlers   []CaseHandler
}

// DueTasks lists the open tasks of open cases due before before, with the
// enabled users holding the case's report key, in case-number order.
func (db *DB) DueTasks(ctx context.Context, tenantID string, before time.Time) ([]DueTask, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.report_id, r.case_number, t.task_id, t.kind, t.due_at, u.user_id, u.email
		FROM reports r
		JOIN case_tasks t ON t.tenant_id = r.tenant_id AND t.report_id = r.report_id AND t.status = 'open' AND t.due_at < $2
		LEFT JOIN report_keys k ON k.tenant_id = r.tenant_id AND k.report_id = r.report_id
			AND k.key_kind = $3 AND k.holder_type = $4
		LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.user_id = k.holder_id AND u.disabled_at IS NULL
		WHERE r.tenant_id = $1 AND r.task_due_at < $2 AND r.closed_at IS NULL
		ORDER BY r.case_number, t.task_id, u.user_id`, tenantID, ms(before), KeyReport, HolderUser)
	if err != nil {
		return nil, fmt.Errorf("store: due tasks: %w", err)
	}
	defer rows.Close()
	var out []DueTask
	for rows.Next() {
		var t DueTask
		var due int64
		var userID, email *string
		if err := rows.Scan(&t.ReportID, &t.CaseNumber, &t.TaskID, &t.Kind, &due, &userID, &email); err != nil {
			return nil, fmt.Errorf("store: scan due task: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].TaskID != t.TaskID {
			t.DueAt = fromMS(due)
			out = append(out, t)
		}
		if userID != nil && email != nil {
			last := &out[len(out)-1]
			last.Handlers = append(last.Handlers, CaseHandler{UserID: *userID, Email: *email})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due tasks: %w", err)
	}
	return out, nil
}

// OpenTaskCount counts a case's open tasks of a kind. It locks the report
// row first (UPDATE … on PostgreSQL) so that two requests at once cannot
// both see none open.
func (tx *Tx) OpenTaskCount(ctx context.Context, tenantID, reportID, kind string) (int, error) {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE reports SET task_due_at = task_due_at WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID); err != nil {
		return 0, fmt.Errorf("store: lock report: %w", err)
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_tasks WHERE tenant_id = $1 AND report_id = $2 AND kind = $3 AND status = 'open'`,
		tenantID, reportID, kind).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: open tasks: %w", err)
	}
	return n, nil
}
