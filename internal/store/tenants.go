package store

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// Tenant is one organisation. Only one ("default") exists for now, but every
// row already carries its id.
type Tenant struct {
	ID          string
	Name        string
	ReceiptSalt []byte
	CreatedAt   time.Time
	// TimeZone (IANA name) in which deadlines are counted.
	TimeZone string
}

func ms(t time.Time) int64     { return t.UnixMilli() }
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS stores a zero time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

func optMS(v *int64) (t time.Time) {
	if v != nil {
		t = fromMS(*v)
	}
	return t
}

// Tenant loads a tenant; ErrNotFound before first-run setup.
func (db *DB) Tenant(ctx context.Context, tenantID string) (Tenant, error) {
	var t Tenant
	var created int64
	err := db.read.QueryRowContext(ctx,
		`SELECT tenant_id, name, receipt_salt, created_at, time_zone FROM tenants WHERE tenant_id = $1`, tenantID).
		Scan(&t.ID, &t.Name, &t.ReceiptSalt, &created, &t.TimeZone)
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant: %w", notFound(err))
	}
	t.CreatedAt = fromMS(created)
	return t, nil
}

// InsertTenant creates a tenant.
func (tx *Tx) InsertTenant(ctx context.Context, t Tenant) error {
	_, err := tx.tx.ExecContext(ctx,
		`INSERT INTO tenants (tenant_id, name, receipt_salt, created_at, time_zone) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.Name, t.ReceiptSalt, ms(t.CreatedAt), cmp.Or(t.TimeZone, "UTC"))
	if err != nil {
		return fmt.Errorf("store: insert tenant: %w", duplicate(err))
	}
	return nil
}

// NextCaseNumber hands out the tenant's next case number. The UPDATE takes a
// row lock on PostgreSQL, so concurrent submissions on several nodes never
// share a number.
func (tx *Tx) NextCaseNumber(ctx context.Context, tenantID string) (int64, error) {
	var n int64
	err := tx.tx.QueryRowContext(ctx,
		`UPDATE tenants SET next_case_number = next_case_number + 1 WHERE tenant_id = $1 RETURNING next_case_number - 1`,
		tenantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: next case number: %w", notFound(err))
	}
	return n, nil
}

// PutSetupToken records the hash of a one-time setup token, replacing any
// earlier one so that only the newest printed link works.
func (db *DB) PutSetupToken(ctx context.Context, tenantID, tokenHash string, now time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM setup_tokens WHERE tenant_id = $1`, tenantID); err != nil {
			return fmt.Errorf("store: clear setup tokens: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx,
			`INSERT INTO setup_tokens (tenant_id, token_hash, created_at) VALUES ($1, $2, $3)`,
			tenantID, tokenHash, ms(now)); err != nil {
			return fmt.Errorf("store: insert setup token: %w", err)
		}
		return nil
	})
}

// SetupTokenValid tells whether tokenHash is the tenant's current setup token.
func (db *DB) SetupTokenValid(ctx context.Context, tenantID, tokenHash string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM setup_tokens WHERE tenant_id = $1 AND token_hash = $2`, tenantID, tokenHash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: setup token: %w", err)
	}
	return n > 0, nil
}

// ConsumeSetupToken deletes the token and reports whether it existed, so a
// link works exactly once even when two browsers race.
func (tx *Tx) ConsumeSetupToken(ctx context.Context, tenantID, tokenHash string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx,
		`DELETE FROM setup_tokens WHERE tenant_id = $1 AND token_hash = $2`, tenantID, tokenHash)
	if err != nil {
		return false, fmt.Errorf("store: consume setup token: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
