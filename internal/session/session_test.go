package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newManager(db *store.DB, kind string, c *clock) *session.Manager {
	return &session.Manager{DB: db, Kind: kind, Idle: 30 * time.Minute, Absolute: 4 * time.Hour, Now: c.Now}
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func TestCreateThenOpenReturnsTheSecret(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newManager(db, store.SessionStaff, newClock())
		secret := []byte("the unlocked private key")
		token, err := m.Create(ctx, "tenant-a", "user-1", secret)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.Open(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Secret, secret) || s.TenantID != "tenant-a" || s.SubjectID != "user-1" || s.ID == "" {
			t.Errorf("Open = %+v", s)
		}
	})
}

func TestOpenRejectsMalformedAndUnknownTokens(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newManager(db, store.SessionStaff, newClock())
		token, err := m.Create(ctx, "t", "u", []byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		flipped := []byte(token)
		if flipped[5] == 'A' {
			flipped[5] = 'B'
		} else {
			flipped[5] = 'A'
		}
		tests := []struct{ name, token string }{
			{"empty", ""},
			{"not base64", "not a token!"},
			{"one character changed", string(flipped)},
			{"truncated", token[:len(token)-1]},
			{"extended", token + "A"},
			{"padded", token + "="},
			{"surrounding space", " " + token},
			{"fresh unknown token", keys.NewSessionToken()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := m.Open(ctx, tt.token); !errors.Is(err, session.ErrNoSession) {
					t.Errorf("Open(%q) = %v, want ErrNoSession", tt.token, err)
				}
			})
		}
		if _, err := m.Open(ctx, token); err != nil {
			t.Errorf("the real token stopped working: %v", err)
		}
	})
}

func TestTokenOfAnotherKindDoesNotOpen(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		staff := newManager(db, store.SessionStaff, c)
		wb := newManager(db, store.SessionWhistleblower, c)
		st, err := staff.Create(ctx, "t", "user", []byte("staff secret"))
		if err != nil {
			t.Fatal(err)
		}
		wt, err := wb.Create(ctx, "t", "report", []byte("report keys"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wb.Open(ctx, st); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("whistleblower manager opened a staff token: %v", err)
		}
		if _, err := staff.Open(ctx, wt); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("staff manager opened a whistleblower token: %v", err)
		}
	})
}

func TestSessionEndsAfterIdleTimeout(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		m := newManager(db, store.SessionStaff, c)
		token, err := m.Create(ctx, "t", "u", []byte("s"))
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(m.Idle - time.Second)
		if _, err := m.Open(ctx, token); err != nil {
			t.Fatalf("just before the idle timeout: %v", err)
		}
		// That use restarted the idle period.
		c.Advance(m.Idle - time.Second)
		if _, err := m.Open(ctx, token); err != nil {
			t.Fatalf("idle period not extended by use: %v", err)
		}
		c.Advance(m.Idle)
		if _, err := m.Open(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("after the idle timeout: %v, want ErrNoSession", err)
		}
	})
}

func TestSessionEndsAtAbsoluteLimitEvenWhenUsedRegularly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		m := newManager(db, store.SessionWhistleblower, c)
		token, err := m.Create(ctx, "t", "r", []byte("s"))
		if err != nil {
			t.Fatal(err)
		}
		step := 10 * time.Minute
		elapsed := time.Duration(0)
		for elapsed+step < m.Absolute {
			c.Advance(step)
			elapsed += step
			if _, err := m.Open(ctx, token); err != nil {
				t.Fatalf("at %v (before the absolute limit): %v", elapsed, err)
			}
		}
		c.Advance(m.Absolute - elapsed)
		if _, err := m.Open(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("at the absolute limit %v: %v, want ErrNoSession", m.Absolute, err)
		}
	})
}

func TestEndMakesTheTokenUseless(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newManager(db, store.SessionStaff, newClock())
		token, err := m.Create(ctx, "t", "u", []byte("s"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := m.Create(ctx, "t", "u", []byte("s"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.End(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Open(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("Open after End: %v, want ErrNoSession", err)
		}
		if _, err := m.Open(ctx, other); err != nil {
			t.Errorf("ending one session ended another: %v", err)
		}
		for _, tok := range []string{token, "garbage", ""} {
			if err := m.End(ctx, tok); err != nil {
				t.Errorf("End(%q) again: %v", tok, err)
			}
		}
	})
}

// The sessions table alone opens nothing: it holds neither the token nor
// the secret in clear (CA-5).
func TestStoredSessionHoldsNeitherTokenNorSecret(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newManager(db, store.SessionStaff, newClock())
		secret := []byte("AGE-SECRET-KEY-1THISISTHEUNLOCKEDKEY")
		token, err := m.Create(ctx, "t", "u", secret)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		err = db.EachStoredValue(ctx, func(table string, v []byte) {
			if table == "sessions" {
				rows++
			}
			for name, needle := range map[string][]byte{"secret": secret, "token": []byte(token), "raw token": raw} {
				if bytes.Contains(v, needle) {
					t.Errorf("table %s holds the %s", table, name)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows == 0 {
			t.Fatal("no session row found; the scan saw nothing")
		}
	})
}
