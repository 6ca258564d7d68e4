package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Organisation settings (table org_settings): one JSON value per tenant
// and key, such as the custom statuses or the closing reasons of the
// case workflow. The value is configuration chosen by an admin, never
// report content.

// Setting loads one setting's JSON value; ok is false when none is stored.
func (db *DB) Setting(ctx context.Context, tenantID, key string) (value string, ok bool, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT value FROM org_settings WHERE tenant_id = $1 AND key = $2`,
		tenantID, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: setting: %w", err)
	}
	return value, true, nil
}

// PutSetting stores one setting's JSON value, replacing the old one.
func (tx *Tx) PutSetting(ctx context.Context, tenantID, key, value, updatedBy string, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO org_settings (tenant_id, key, value, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`, tenantID, key, value, updatedBy, ms(at))
	if err != nil {
		return fmt.Errorf("store: put setting: %w", err)
	}
	return nil
}

// CustomStatus loads the custom status id a case carries ("" for none).
func (db *DB) CustomStatus(ctx context.Context, tenantID, reportID string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT custom_status FROM reports WHERE tenant_id = $1 AND report_id = $2`,
		tenantID, reportID).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("store: custom status: %w", notFound(err))
	}
	return v, nil
}

// SetCustomStatus sets a case's custom status, only while the case is
// still in state; ErrStateChanged means it moved meanwhile.
func (tx *Tx) SetCustomStatus(ctx context.Context, tenantID, reportID, state, status string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE reports SET custom_status = $4
		WHERE tenant_id = $1 AND report_id = $2 AND status = $3`, tenantID, reportID, state, status)
	if err != nil {
		return fmt.Errorf("store: set custom status: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return ErrStateChanged
	}
	return nil
}
