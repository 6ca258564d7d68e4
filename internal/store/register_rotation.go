package store

import (
	"context"
	"fmt"
	"time"
)

// RegisterKeyring is the state of a tenant's register key: its generation
// (one more per rotation), whether a rotation is due because a holder
// lost the role before someone holding the key could rotate it, and how
// many wraps belong to users who may no longer hold it.
type RegisterKeyring struct {
	Generation    int64
	RotatePending bool
	StaleHolders  int
}

// RegisterKeyState reads the keyring; ErrNotFound before the key exists.
// A stale holder is a wrap of a user who is disabled, gone or in none of
// the roles.
func (db *DB) RegisterKeyState(ctx context.Context, tenantID string, roles ...string) (RegisterKeyring, error) {
	var r RegisterKeyring
	var pending int
	a, b := roleArgs(roles)
	err := db.read.QueryRowContext(ctx, `SELECT g.generation, g.rotate_pending,
		(SELECT COUNT(*) FROM register_keys k LEFT JOIN users u ON u.tenant_id = k.tenant_id AND u.user_id = k.user_id
			WHERE k.tenant_id = g.tenant_id AND (u.user_id IS NULL OR u.disabled_at IS NOT NULL OR u.role NOT IN ($2, $3)))
		FROM register_keyring g WHERE g.tenant_id = $1`, tenantID, a, b).Scan(&r.Generation, &pending, &r.StaleHolders)
	if err != nil {
		return RegisterKeyring{}, fmt.Errorf("store: register keyring: %w", notFound(err))
	}
	r.RotatePending = pending == 1
	return r, nil
}

func roleArgs(roles []string) (string, string) {
	switch len(roles) {
	case 0:
		return "", ""
	case 1:
		return roles[0], roles[0]
	}
	return roles[0], roles[1]
}

// RegisterKeyGen returns the register key wrapped to userID with the
// generation it belongs to, or ErrNotFound.
func (db *DB) RegisterKeyGen(ctx context.Context, tenantID, userID string) ([]byte, int64, error) {
	var w []byte
	var gen int64
	err := db.read.QueryRowContext(ctx, `SELECT wrapped, generation FROM register_keys WHERE tenant_id = $1 AND user_id = $2`,
		tenantID, userID).Scan(&w, &gen)
	if err != nil {
		return nil, 0, fmt.Errorf("store: register key: %w", notFound(err))
	}
	return w, gen, nil
}

// LockRegisterKeyring returns the current generation, locking the keyring
// row until the transaction ends (a no-op UPDATE, as in LockDSR; SQLite
// has one writer anyway). Every write sealed under the register key takes
// it, so no entry sealed under a rotated-out key can be committed after
// the rotation.
func (tx *Tx) LockRegisterKeyring(ctx context.Context, tenantID string) (int64, error) {
	var gen int64
	err := tx.tx.QueryRowContext(ctx, `UPDATE register_keyring SET generation = generation WHERE tenant_id = $1 RETURNING generation`,
		tenantID).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("store: lock register keyring: %w", notFound(err))
	}
	return gen, nil
}

// PutRegisterKeyGen stores the register key of a generation wrapped to one user.
func (tx *Tx) PutRegisterKeyGen(ctx context.Context, tenantID, userID string, wrapped []byte, gen int64, at time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO register_keys (tenant_id, user_id, wrapped, created_at, generation) VALUES ($1, $2, $3, $4, $5)`,
		tenantID, userID, wrapped, ms(at), gen)
	if err != nil {
		return fmt.Errorf("store: put register key: %w", duplicate(err))
	}
	return nil
}

// DropRegisterKey deletes one user's wrap of the register key and marks
// the key for rotation: the user may have kept a copy of it.
func (tx *Tx) DropRegisterKey(ctx context.Context, tenantID, userID string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM register_keys WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
	if err != nil {
		return fmt.Errorf("store: drop register key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // never held it: nothing to rotate for
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE register_keyring SET rotate_pending = 1 WHERE tenant_id = $1`, tenantID); err != nil {
		return fmt.Errorf("store: mark register key rotation: %w", err)
	}
	return nil
}

// RegisterKeyCandidates lists the enabled users of the given roles (id,
// role and public key) as the transaction sees them.
func (tx *Tx) RegisterKeyCandidates(ctx context.Context, tenantID string, roles ...string) ([]User, error) {
	a, b := roleArgs(roles)
	rows, err := tx.tx.QueryContext(ctx, `SELECT tenant_id, user_id, role, public_key FROM users
		WHERE tenant_id = $1 AND disabled_at IS NULL AND role IN ($2, $3) ORDER BY user_id`, tenantID, a, b)
	if err != nil {
		return nil, fmt.Errorf("store: register key candidates: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.TenantID, &u.ID, &u.Role, &u.PublicKey); err != nil {
			return nil, fmt.Errorf("store: scan register key candidate: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AllRegisterEntries lists every register entry of a tenant, for re-sealing.
func (tx *Tx) AllRegisterEntries(ctx context.Context, tenantID string) ([]RegisterEntry, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT tenant_id, register, parent_id, entry_id, seq, kind, author_id, body, created_at
		FROM register_entries WHERE tenant_id = $1 ORDER BY register, parent_id, seq`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: all register entries: %w", err)
	}
	defer rows.Close()
	var out []RegisterEntry
	for rows.Next() {
		var e RegisterEntry
		var created int64
		if err := rows.Scan(&e.TenantID, &e.Register, &e.ParentID, &e.ID, &e.Seq, &e.Kind, &e.AuthorID, &e.Body, &created); err != nil {
			return nil, fmt.Errorf("store: scan register entry: %w", err)
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ResealRegisterEntry replaces the sealed body of one register entry.
func (tx *Tx) ResealRegisterEntry(ctx context.Context, tenantID, entryID string, body []byte) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE register_entries SET body = $3 WHERE tenant_id = $1 AND entry_id = $2`,
		tenantID, entryID, body)
	return affectedOne(res, err, "reseal register entry")
}

// ReplaceRegisterKeys deletes every wrap of the register key and moves
// the keyring to generation gen, clearing a pending rotation. The caller
// then wraps the new key to the remaining holders in the same transaction.
func (tx *Tx) ReplaceRegisterKeys(ctx context.Context, tenantID string, gen int64, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM register_keys WHERE tenant_id = $1`, tenantID); err != nil {
		return fmt.Errorf("store: delete register keys: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE register_keyring SET generation = $2, rotate_pending = 0, rotated_at = $3
		WHERE tenant_id = $1`, tenantID, gen, ms(at))
	return affectedOne(res, err, "rotate register keyring")
}
