// Package session keeps logged-in clients. The client holds a random token;
// the server keeps only the token's hash and the unlocked key material
// sealed under a key derived from the token, so a copy of the sessions
// table opens nothing.
package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// ErrNoSession means the token is unknown, malformed or expired.
var ErrNoSession = errors.New("session: no valid session")

// touchEvery limits idle-timeout bookkeeping to one write a minute per
// session instead of one per request.
const touchEvery = time.Minute

// Manager creates and checks sessions of one kind.
type Manager struct {
	DB       *store.DB
	Kind     string
	Idle     time.Duration // a session unused this long ends
	Absolute time.Duration // and none lives longer than this
	Now      func() time.Time
}

// Session is an opened session.
type Session struct {
	ID        string
	TenantID  string
	SubjectID string
	Secret    []byte
}

func ad(tenant, kind, id string) []byte { return keys.AD(tenant, "session", kind, id) }

// Create starts a session holding secret and returns the client's token.
func (m *Manager) Create(ctx context.Context, tenant, subject string, secret []byte) (string, error) {
	token := keys.NewSessionToken()
	id, err := keys.SessionID(token)
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	k, err := keys.SessionKey(token)
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	now := m.Now()
	err = m.DB.InsertSession(ctx, store.Session{TenantID: tenant, ID: id, Kind: m.Kind, SubjectID: subject,
		SealedKey: keys.Seal(k, secret, ad(tenant, m.Kind, id)), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: m.expiry(now, now)})
	if err != nil {
		return "", err
	}
	return token, nil
}

func (m *Manager) expiry(created, seen time.Time) time.Time {
	e := seen.Add(m.Idle)
	if limit := created.Add(m.Absolute); m.Absolute > 0 && e.After(limit) {
		e = limit
	}
	return e
}

// Open checks a token and returns its session with the secret unsealed.
func (m *Manager) Open(ctx context.Context, token string) (Session, error) {
	id, err := keys.SessionID(token)
	if err != nil {
		return Session{}, ErrNoSession
	}
	now := m.Now()
	s, err := m.DB.Session(ctx, id, m.Kind, now)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	k, err := keys.SessionKey(token)
	if err != nil {
		return Session{}, ErrNoSession
	}
	secret, err := keys.Open(k, s.SealedKey, ad(s.TenantID, m.Kind, id))
	if err != nil {
		return Session{}, ErrNoSession
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := m.DB.TouchSession(ctx, id, now, m.expiry(s.CreatedAt, now)); err != nil {
			return Session{}, err
		}
	}
	return Session{ID: id, TenantID: s.TenantID, SubjectID: s.SubjectID, Secret: secret}, nil
}

// End deletes the session behind token, if any.
func (m *Manager) End(ctx context.Context, token string) error {
	id, err := keys.SessionID(token)
	if err != nil {
		return nil
	}
	return m.DB.DeleteSession(ctx, id)
}
