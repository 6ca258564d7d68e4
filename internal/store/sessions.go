package store

import (
	"context"
	"fmt"
	"time"
)

// Session kinds.
const (
	SessionStaff         = "staff"
	SessionWhistleblower = "whistleblower"
)

// Session is a logged-in client. ID is the hash of the client's token and
// SealedKey the unlocked key sealed under a key derived from that token, so
// this table alone opens nothing.
type Session struct {
	TenantID   string
	ID         string
	Kind       string
	SubjectID  string // user id or report id
	SealedKey  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// InsertSession stores a new session.
func (db *DB) InsertSession(ctx context.Context, s Session) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO sessions (tenant_id, session_id, kind, subject_id, sealed_key, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.TenantID, s.ID, s.Kind, s.SubjectID, s.SealedKey, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: insert session: %w", err)
	}
	return nil
}

// Session loads a session that has not expired at now.
func (db *DB) Session(ctx context.Context, id, kind string, now time.Time) (Session, error) {
	s := Session{ID: id, Kind: kind}
	var created, seen, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT tenant_id, subject_id, sealed_key, created_at, last_seen_at, expires_at
		FROM sessions WHERE session_id = $1 AND kind = $2 AND expires_at > $3`, id, kind, ms(now)).
		Scan(&s.TenantID, &s.SubjectID, &s.SealedKey, &created, &seen, &expires)
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", notFound(err))
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return s, nil
}

// TouchSession extends an idle timeout.
func (db *DB) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE session_id = $1`,
		id, ms(seen), ms(expires))
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session; a missing one is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE session_id = $1`, id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry, with their sealed keys.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
