package store

import (
	"context"
	"fmt"
	"time"
)

// User is a staff account. Its private key and TOTP secret are stored only
// sealed: once under the password-derived key, once under the recovery key.
type User struct {
	TenantID     string
	ID           string
	Email        string
	DisplayName  string // shown to whistleblowers only where a channel offers exclusion
	Role         string
	PwSalt       []byte
	PwParams     string
	PwVerifier   []byte
	PublicKey    string
	SecretByPw   []byte
	SecretByRec  []byte
	TOTPByPw     []byte
	TOTPByRec    []byte
	TOTPLastStep int64
	CreatedAt    time.Time
	DisabledAt   time.Time
	// Custodian marks a user who receives every new report's identity key
	// and decides handlers' requests to read identities (CA-3).
	Custodian bool
}

const userColumns = `tenant_id, user_id, email, role, pw_salt, pw_params, pw_verifier, public_key,
	secret_by_pw, secret_by_rec, totp_by_pw, totp_by_rec, totp_last_step, created_at, disabled_at, display_name`

// userSelect is userColumns plus the custodian flag, which scanUser reads.
const userSelect = userColumns + `, custodian`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	var disabled *int64
	var custodian int64
	err := row.Scan(&u.TenantID, &u.ID, &u.Email, &u.Role, &u.PwSalt, &u.PwParams, &u.PwVerifier, &u.PublicKey,
		&u.SecretByPw, &u.SecretByRec, &u.TOTPByPw, &u.TOTPByRec, &u.TOTPLastStep, &created, &disabled, &u.DisplayName, &custodian)
	u.Custodian = custodian == 1
	u.CreatedAt = fromMS(created)
	u.DisabledAt = optMS(disabled)
	return u, err
}

// InsertUser creates a staff user.
func (tx *Tx) InsertUser(ctx context.Context, u User) error {
	custodian := 0
	if u.Custodian {
		custodian = 1
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO users (`+userSelect+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, $15, $16)`,
		u.TenantID, u.ID, u.Email, u.Role, u.PwSalt, u.PwParams, u.PwVerifier, u.PublicKey,
		u.SecretByPw, u.SecretByRec, u.TOTPByPw, u.TOTPByRec, u.TOTPLastStep, ms(u.CreatedAt), u.DisplayName, custodian)
	if err != nil {
		return fmt.Errorf("store: insert user: %w", duplicate(err))
	}
	return nil
}

// UserByEmail finds an enabled or disabled user by e-mail address.
func (db *DB) UserByEmail(ctx context.Context, tenantID, email string) (User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx,
		`SELECT `+userSelect+` FROM users WHERE tenant_id = $1 AND email = $2`, tenantID, email))
	if err != nil {
		return User{}, fmt.Errorf("store: user by email: %w", notFound(err))
	}
	return u, nil
}

// UserByID finds a user.
func (db *DB) UserByID(ctx context.Context, tenantID, userID string) (User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx,
		`SELECT `+userSelect+` FROM users WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID))
	if err != nil {
		return User{}, fmt.Errorf("store: user: %w", notFound(err))
	}
	return u, nil
}

// CountUsers counts a tenant's users.
func (db *DB) CountUsers(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE tenant_id = $1`, tenantID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// ClaimTOTPStep records that the code of step was used. It fails (false)
// when that step or a later one was already used, which stops a code seen
// over someone's shoulder from being replayed.
func (db *DB) ClaimTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error) {
	res, err := db.write.ExecContext(ctx,
		`UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND user_id = $2 AND totp_last_step < $3`,
		tenantID, userID, step)
	if err != nil {
		return false, fmt.Errorf("store: claim totp step: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Users lists a tenant's enabled users, by e-mail address.
func (db *DB) Users(ctx context.Context, tenantID string) ([]User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userSelect+` FROM users
		WHERE tenant_id = $1 AND disabled_at IS NULL ORDER BY email`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
