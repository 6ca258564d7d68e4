package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrFormUsed means a form's mark is already recorded: the form was sent
// before.
var ErrFormUsed = errors.New("store: form already sent")

// MarkFormSubmitted records a form's mark inside the transaction that
// stores what the form sent. It returns ErrFormUsed when the mark exists,
// which a concurrent second post of the same form also gets once the
// first commits.
func (tx *Tx) MarkFormSubmitted(ctx context.Context, tenantID, mark string, on time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO submitted_forms (tenant_id, mark, used_on) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, mark) DO NOTHING`, tenantID, mark, ms(day(on)))
	if err != nil {
		return fmt.Errorf("store: mark form submitted: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrFormUsed
	}
	return nil
}

// FormSubmitted reports whether a form's mark is recorded.
func (db *DB) FormSubmitted(ctx context.Context, tenantID, mark string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM submitted_forms WHERE tenant_id = $1 AND mark = $2`,
		tenantID, mark).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: form submitted: %w", err)
	}
	return n > 0, nil
}

// DeleteFormMarksBefore removes marks recorded on a day before t, in every
// tenant: a form that old is not re-sent by a refresh.
func (db *DB) DeleteFormMarksBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM submitted_forms WHERE used_on < $1`, ms(day(t)))
		if err != nil {
			return fmt.Errorf("store: delete old form marks: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// day is the start of t's UTC day.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
