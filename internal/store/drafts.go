package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IntakeDraft is a submission parked for the whistleblower's confirmation
// of what happens to the metadata of their files. ID is the hash of a token
// only the browser holds; SealedKeys is sealed under a key derived from that
// token and SealedBody under the draft's report key, so this table alone
// opens nothing. Blobs lists the draft's (encrypted) blobs, which the
// orphan sweeper leaves alone while the draft lives.
type IntakeDraft struct {
	TenantID   string
	ID         string
	SealedKeys []byte
	SealedBody []byte
	Blobs      []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// InsertIntakeDraft stores a draft with its blob references.
func (db *DB) InsertIntakeDraft(ctx context.Context, d IntakeDraft) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO intake_drafts (tenant_id, draft_id, sealed_keys, sealed_body, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.TenantID, d.ID, d.SealedKeys, d.SealedBody, ms(d.CreatedAt), ms(d.ExpiresAt)); err != nil {
			return fmt.Errorf("store: insert intake draft: %w", err)
		}
		for _, b := range d.Blobs {
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO intake_draft_blobs (tenant_id, draft_id, blob_key) VALUES ($1, $2, $3)`,
				d.TenantID, d.ID, b); err != nil {
				return fmt.Errorf("store: insert intake draft blob: %w", err)
			}
		}
		return nil
	})
}

// IntakeDraft loads a draft that has not expired at now (blob references
// are not loaded: the sealed body lists them).
func (db *DB) IntakeDraft(ctx context.Context, tenantID, id string, now time.Time) (IntakeDraft, error) {
	d := IntakeDraft{TenantID: tenantID, ID: id}
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT sealed_keys, sealed_body, created_at, expires_at FROM intake_drafts
		WHERE tenant_id = $1 AND draft_id = $2 AND expires_at > $3`, tenantID, id, ms(now)).
		Scan(&d.SealedKeys, &d.SealedBody, &created, &expires)
	if err != nil {
		return IntakeDraft{}, fmt.Errorf("store: intake draft: %w", notFound(err))
	}
	d.CreatedAt, d.ExpiresAt = fromMS(created), fromMS(expires)
	return d, nil
}

// DeleteIntakeDraft removes a draft and its blob references inside a
// transaction (the report's commit, so that a draft is used once). It
// returns ErrNotFound when no such draft exists any more.
func (tx *Tx) DeleteIntakeDraft(ctx context.Context, tenantID, id string) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM intake_draft_blobs WHERE tenant_id = $1 AND draft_id = $2`, tenantID, id); err != nil {
		return fmt.Errorf("store: delete intake draft blobs: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM intake_drafts WHERE tenant_id = $1 AND draft_id = $2`, tenantID, id)
	if err != nil {
		return fmt.Errorf("store: delete intake draft: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: delete intake draft: %w", ErrNotFound)
	}
	return nil
}

// DeleteIntakeDraft removes a draft outside any other transaction; a
// missing draft is not an error.
func (db *DB) DeleteIntakeDraft(ctx context.Context, tenantID, id string) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		err := tx.DeleteIntakeDraft(ctx, tenantID, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return err
}

// DeleteExpiredIntakeDrafts removes drafts past their expiry with their
// blob references; their blobs are then orphans that the sweeper removes.
func (db *DB) DeleteExpiredIntakeDrafts(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM intake_draft_blobs WHERE EXISTS (SELECT 1 FROM intake_drafts d
			WHERE d.tenant_id = intake_draft_blobs.tenant_id AND d.draft_id = intake_draft_blobs.draft_id AND d.expires_at <= $1)`,
			ms(now)); err != nil {
			return fmt.Errorf("store: delete expired intake draft blobs: %w", err)
		}
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM intake_drafts WHERE expires_at <= $1`, ms(now))
		if err != nil {
			return fmt.Errorf("store: delete expired intake drafts: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
