package accounts

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
	"github.com/varsel/varsel/internal/totp"
)

// These tests live inside package accounts to reach the associated-data
// helpers (adSecret, adTOTP). They cannot import org (org imports accounts),
// so they create no channels.

const testTenant = "default"

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

type env struct {
	db    *store.DB
	raw   *sql.DB // for changes the store has no method for yet
	clock *clock
	svc   *Service
}

// forEachEngine is storetest.ForEach with a second, raw connection.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn, dir := storetest.DSN(t, d)
			db, err := store.Open(ctx, dsn, dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var raw *sql.DB
			if d == store.SQLite {
				raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "varsel.db")+"?_pragma=busy_timeout(10000)")
			} else {
				raw, err = sql.Open("pgx", dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
			svc := New(Config{DB: db, KDF: keys.NewKDF(2), Params: keys.TestParams, Tenant: testTenant, Now: c.Now})
			fn(t, &env{db: db, raw: raw, clock: c, svc: svc})
		})
	}
}

const goodPassword = "correct horse battery staple"

func (e *env) create(t *testing.T, email string) (Created, []byte) {
	t.Helper()
	c, err := e.svc.CreateUser(context.Background(), NewUser{Email: email, Role: RoleHandler, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

// login moves to a fresh TOTP step (codes are single-use) and logs in.
func (e *env) login(email, password string, secret []byte) (string, error) {
	e.clock.Advance(31 * time.Second)
	return e.svc.Login(context.Background(), email, password, totp.Code(secret, e.clock.Now()))
}

func TestCreateUserValidatesInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.svc.CreateUser(ctx, NewUser{Email: "taken@example.org", Role: RoleAdmin, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			in   NewUser
			err  error
		}{
			{"valid handler", NewUser{Email: "h@example.org", Role: RoleHandler, Password: goodPassword}, nil},
			{"e-mail trimmed and lower-cased", NewUser{Email: "  Mixed.Case@Example.ORG ", Role: RoleHandler, Password: goodPassword}, nil},
			{"empty e-mail", NewUser{Email: "", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"no at sign", NewUser{Email: "example.org", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"two at signs", NewUser{Email: "a@b@example.org", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"display name form", NewUser{Email: "Kari <kari@example.org>", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"space inside", NewUser{Email: "ka ri@example.org", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"newline header injection", NewUser{Email: "kari@example.org\nBcc: x@example.org", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"too long", NewUser{Email: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".org", Role: RoleHandler, Password: goodPassword}, ErrInvalidEmail},
			{"empty role", NewUser{Email: "r1@example.org", Role: "", Password: goodPassword}, ErrInvalidRole},
			{"unknown role", NewUser{Email: "r2@example.org", Role: "superuser", Password: goodPassword}, ErrInvalidRole},
			{"role is case-sensitive", NewUser{Email: "r3@example.org", Role: "Admin", Password: goodPassword}, ErrInvalidRole},
			{"empty password", NewUser{Email: "p1@example.org", Role: RoleHandler, Password: ""}, ErrWeakPassword},
			{"11 ASCII characters", NewUser{Email: "p2@example.org", Role: RoleHandler, Password: "abcdefghijk"}, ErrWeakPassword},
			{"12 ASCII characters", NewUser{Email: "p3@example.org", Role: RoleHandler, Password: "abcdefghijkl"}, nil},
			{"11 characters but 22 bytes", NewUser{Email: "p4@example.org", Role: RoleHandler, Password: strings.Repeat("æ", 11)}, ErrWeakPassword},
			{"12 multi-byte characters", NewUser{Email: "p5@example.org", Role: RoleHandler, Password: strings.Repeat("æ", 12)}, nil},
			{"duplicate e-mail", NewUser{Email: "taken@example.org", Role: RoleHandler, Password: goodPassword}, ErrEmailTaken},
			{"duplicate e-mail in other case", NewUser{Email: "TAKEN@example.org", Role: RoleHandler, Password: goodPassword}, ErrEmailTaken},
			{"unknown channel", NewUser{Email: "c1@example.org", Role: RoleHandler, Password: goodPassword, Channels: []string{"nope"}}, store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, _ := e.db.CountUsers(ctx, testTenant)
				c, err := e.svc.CreateUser(ctx, tt.in)
				if !errors.Is(err, tt.err) {
					t.Fatalf("CreateUser: %v, want %v", err, tt.err)
				}
				after, _ := e.db.CountUsers(ctx, testTenant)
				if tt.err != nil {
					if after != before {
						t.Errorf("a rejected user was stored (%d -> %d users)", before, after)
					}
					return
				}
				u, err := e.db.UserByID(ctx, testTenant, c.UserID)
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.ToLower(strings.TrimSpace(tt.in.Email)); u.Email != want {
					t.Errorf("stored e-mail %q, want %q", u.Email, want)
				}
			})
		}
	})
}

func TestPrepareRejectsBeforeDerivingKeys(t *testing.T) {
	svc := New(Config{KDF: keys.NewKDF(1), Params: keys.TestParams, Tenant: testTenant})
	for _, in := range []NewUser{
		{Email: "bad", Role: RoleAdmin, Password: goodPassword},
		{Email: "a@example.org", Role: "x", Password: goodPassword},
		{Email: "a@example.org", Role: RoleAdmin, Password: "short"},
	} {
		if u, c, err := svc.Prepare(context.Background(), in); err == nil || u.ID != "" || c.RecoveryKey != "" {
			t.Errorf("Prepare(%+v) = %v, %v, %v; want an error and nothing else", in, u.ID, c.RecoveryKey, err)
		}
	}
}

// The recovery key shown once opens the stored private key and TOTP secret,
// and nothing else does without the password (CA-5).
func TestRecoveryKeyOpensStoredPrivateKeyAndTOTPSecret(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c, totpSecret := e.create(t, "rec@example.org")
		u, err := e.db.UserByID(ctx, testTenant, c.UserID)
		if err != nil {
			t.Fatal(err)
		}
		for _, typed := range []string{c.RecoveryKey, strings.ToLower(c.RecoveryKey), strings.ReplaceAll(c.RecoveryKey, "-", " ")} {
			k, err := keys.ParseRecoveryKey(typed)
			if err != nil {
				t.Fatalf("ParseRecoveryKey(%q): %v", typed, err)
			}
			sk, err := keys.Open(k, u.SecretByRec, adSecret(testTenant, u.ID, "recovery"))
			if err != nil {
				t.Fatalf("recovery key does not open the private key: %v", err)
			}
			id, err := keys.ParseIdentity(sk)
			if err != nil {
				t.Fatal(err)
			}
			if id.Recipient() != u.PublicKey {
				t.Errorf("recovered identity's recipient %s, stored public key %s", id.Recipient(), u.PublicKey)
			}
			ts, err := keys.Open(k, u.TOTPByRec, adTOTP(testTenant, u.ID, "recovery"))
			if err != nil {
				t.Fatalf("recovery key does not open the TOTP secret: %v", err)
			}
			if string(ts) != string(totpSecret) {
				t.Error("recovered TOTP secret differs from the one shown")
			}
			// The associated data keeps the two sealed values apart.
			if _, err := keys.Open(k, u.SecretByRec, adTOTP(testTenant, u.ID, "recovery")); err == nil {
				t.Error("private key opened under the TOTP associated data")
			}
			if _, err := keys.Open(k, u.SecretByRec, adSecret(testTenant, "another-user", "recovery")); err == nil {
				t.Error("private key opened under another user's associated data")
			}
		}
		other, _ := e.create(t, "other@example.org")
		ok, _ := keys.ParseRecoveryKey(other.RecoveryKey)
		if _, err := keys.Open(ok, u.SecretByRec, adSecret(testTenant, u.ID, "recovery")); err == nil {
			t.Error("another user's recovery key opened this user's private key")
		}
	})
}

func TestLoginFailuresAllGiveBadCredentials(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c, secret := e.create(t, "kari@example.org")
		wrongCode := func() string {
			code := []byte(totp.Code(secret, e.clock.Now()))
			code[0] = '0' + (code[0]-'0'+1)%10
			return string(code)
		}

		t.Run("unknown e-mail", func(t *testing.T) {
			if _, err := e.login("nobody@example.org", goodPassword, secret); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%v, want ErrBadCredentials", err)
			}
		})
		t.Run("wrong password", func(t *testing.T) {
			if _, err := e.login("kari@example.org", goodPassword+"x", secret); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%v, want ErrBadCredentials", err)
			}
		})
		t.Run("wrong code", func(t *testing.T) {
			e.clock.Advance(31 * time.Second)
			if _, err := e.svc.Login(ctx, "kari@example.org", goodPassword, wrongCode()); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%v, want ErrBadCredentials", err)
			}
		})
		t.Run("empty and malformed codes", func(t *testing.T) {
			for _, code := range []string{"", "12345", "1234567", "abcdef"} {
				if _, err := e.svc.Login(ctx, "kari@example.org", goodPassword, code); !errors.Is(err, ErrBadCredentials) {
					t.Errorf("code %q: %v, want ErrBadCredentials", code, err)
				}
			}
		})
		t.Run("e-mail case and spaces do not matter", func(t *testing.T) {
			if _, err := e.login("  KARI@example.org ", goodPassword, secret); err != nil {
				t.Errorf("%v", err)
			}
		})
		t.Run("reused code", func(t *testing.T) {
			e.clock.Advance(31 * time.Second)
			code := totp.Code(secret, e.clock.Now())
			if _, err := e.svc.Login(ctx, "kari@example.org", goodPassword, code); err != nil {
				t.Fatalf("first use: %v", err)
			}
			if _, err := e.svc.Login(ctx, "kari@example.org", goodPassword, code); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("second use of the same code: %v, want ErrBadCredentials", err)
			}
			// Nor an earlier code still inside the drift window.
			e.clock.Advance(30 * time.Second)
			if _, err := e.svc.Login(ctx, "kari@example.org", goodPassword, code); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("the used code a step later: %v, want ErrBadCredentials", err)
			}
		})
		t.Run("disabled user", func(t *testing.T) {
			token, err := e.login("kari@example.org", goodPassword, secret)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.raw.ExecContext(ctx, `UPDATE users SET disabled_at = $1 WHERE tenant_id = $2 AND user_id = $3`,
				e.clock.Now().UnixMilli(), testTenant, c.UserID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.login("kari@example.org", goodPassword, secret); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("login of a disabled user: %v, want ErrBadCredentials", err)
			}
			if _, err := e.svc.Authenticate(ctx, token); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("session of a user disabled after login: %v, want ErrNoSession", err)
			}
		})
	})
}

func TestRepeatedFailuresThrottleTheAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, secret := e.create(t, "kari@example.org")
		_, otherSecret := e.create(t, "ola@example.org")
		var err error
		fails := 0
		for ; fails < 100; fails++ {
			_, err = e.svc.Login(ctx, "kari@example.org", "wrong password!", "000000")
			if !errors.Is(err, ErrBadCredentials) {
				break
			}
		}
		if !errors.Is(err, ErrThrottled) {
			t.Fatalf("after %d failures: %v, want ErrThrottled", fails, err)
		}
		if fails > 20 {
			t.Errorf("throttled only after %d failures", fails)
		}
		// Even the right credentials are refused while throttled, whatever
		// the case of the address.
		if _, err := e.svc.Login(ctx, "KARI@example.org", goodPassword, totp.Code(secret, e.clock.Now())); !errors.Is(err, ErrThrottled) {
			t.Errorf("right credentials while throttled: %v, want ErrThrottled", err)
		}
		// Other accounts are not affected.
		if _, err := e.login("ola@example.org", goodPassword, otherSecret); err != nil {
			t.Errorf("another account: %v", err)
		}
		// Failures are forgiven over time.
		e.clock.Advance(5 * time.Minute)
		if _, err := e.login("kari@example.org", goodPassword, secret); err != nil {
			t.Errorf("after waiting: %v", err)
		}
	})
}

func TestAuthenticateReturnsIdentityThatUnwrapsKeysWrappedToTheUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c, secret := e.create(t, "kari@example.org")
		token, err := e.login("kari@example.org", goodPassword, secret)
		if err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if st.UserID != c.UserID || st.Email != "kari@example.org" || st.Role != RoleHandler || st.TenantID != testTenant {
			t.Errorf("Authenticate = %+v", st)
		}
		u, err := e.db.UserByID(ctx, testTenant, c.UserID)
		if err != nil {
			t.Fatal(err)
		}
		k := keys.NewKey()
		wrapped, err := keys.WrapKey(u.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Identity.UnwrapKey(wrapped)
		if err != nil {
			t.Fatal(err)
		}
		if got != k {
			t.Error("unwrapped key differs")
		}
		// The unlocked private key is nowhere in the database in clear,
		// not even in the session row (CA-5).
		err = e.db.EachStoredValue(ctx, func(table string, v []byte) {
			if strings.Contains(string(v), string(st.Identity.Bytes())) {
				t.Errorf("table %s holds the private key in clear", table)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("after Logout: %v, want ErrNoSession", err)
		}
	})
}

func TestAuthenticateRejectsGarbageTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, tok := range []string{"", "x", keys.NewSessionToken()} {
			if _, err := e.svc.Authenticate(context.Background(), tok); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("Authenticate(%q) = %v, want ErrNoSession", tok, err)
			}
		}
	})
}
