package org_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const tenant = org.DefaultTenant

func newAccounts(db *store.DB) *accounts.Service {
	return accounts.New(accounts.Config{DB: db, KDF: keys.NewKDF(2), Params: keys.TestParams, Tenant: tenant,
		Now: func() time.Time { return testNow }})
}

func setup(token string) org.Setup {
	return org.Setup{Token: token, OrgName: "Acme AS", Email: "admin@example.org", Password: "correct horse battery staple"}
}

func TestInitTwiceGivesErrInitialized(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if ok, err := org.Initialized(ctx, db, tenant); err != nil || ok {
			t.Fatalf("Initialized before Init = %v, %v", ok, err)
		}
		if err := org.Init(ctx, db, tenant, "Acme AS", testNow); err != nil {
			t.Fatal(err)
		}
		if ok, err := org.Initialized(ctx, db, tenant); err != nil || !ok {
			t.Fatalf("Initialized after Init = %v, %v", ok, err)
		}
		if err := org.Init(ctx, db, tenant, "Other AS", testNow); !errors.Is(err, org.ErrInitialized) {
			t.Fatalf("second Init: %v, want ErrInitialized", err)
		}
		tn, err := db.Tenant(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Name != "Acme AS" {
			t.Errorf("second Init changed the name to %q", tn.Name)
		}
		if _, err := db.Channel(ctx, tenant, org.DefaultChannel); err != nil {
			t.Errorf("default channel: %v", err)
		}
	})
}

func TestInitRejectsInvalidOrganisationNames(t *testing.T) {
	tests := []struct {
		name, org string
		err       error
	}{
		{"empty", "", org.ErrInvalidName},
		{"whitespace only", " \t\n ", org.ErrInvalidName},
		{"201 characters", strings.Repeat("a", 201), org.ErrInvalidName},
		{"201 multi-byte characters", strings.Repeat("ø", 201), org.ErrInvalidName},
		{"200 multi-byte characters", strings.Repeat("ø", 200), nil},
		{"200 characters after trimming", "  " + strings.Repeat("a", 200) + "  ", nil},
		{"one character", "A", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, store.SQLite)
			err := org.Init(ctx, db, tenant, tt.org, testNow)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Init(%q): %v, want %v", tt.org, err, tt.err)
			}
			ok, err := org.Initialized(ctx, db, tenant)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tt.err == nil) {
				t.Errorf("Initialized = %v after Init returned %v", ok, tt.err)
			}
			if tt.err == nil {
				tn, _ := db.Tenant(ctx, tenant)
				if tn.Name != strings.TrimSpace(tt.org) {
					t.Errorf("stored name %q, want it trimmed", tn.Name)
				}
			}
		})
	}
}

func TestCompleteSetupWorksOncePerToken(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc := newAccounts(db)
		token, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := org.SetupTokenValid(ctx, db, tenant, token); err != nil || !ok {
			t.Fatalf("SetupTokenValid = %v, %v", ok, err)
		}
		created, err := org.CompleteSetup(ctx, db, acc, tenant, setup(token), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if created.UserID == "" || created.RecoveryKey == "" || created.TOTPSecret == "" {
			t.Errorf("Created = %+v", created)
		}
		// CA-3: the first admin is a custodian of identities.
		if u, err := db.UserByID(ctx, tenant, created.UserID); err != nil || !u.Custodian {
			t.Errorf("setup admin custodian = %v, %v", u.Custodian, err)
		}
		if ok, _ := org.SetupTokenValid(ctx, db, tenant, token); ok {
			t.Error("the token is still valid after use")
		}
		s := setup(token)
		s.Email = "second@example.org"
		if _, err := org.CompleteSetup(ctx, db, acc, tenant, s, testNow); !errors.Is(err, org.ErrBadSetupToken) {
			t.Errorf("second use: %v, want ErrBadSetupToken", err)
		}
		if n, _ := db.CountUsers(ctx, tenant); n != 1 {
			t.Errorf("%d users, want 1", n)
		}
	})
}

func TestNewSetupTokenReplacesTheEarlierOne(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc := newAccounts(db)
		first, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		second, err := org.NewSetupToken(ctx, db, tenant, testNow.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if first == second {
			t.Fatal("two setup tokens are equal")
		}
		if ok, _ := org.SetupTokenValid(ctx, db, tenant, first); ok {
			t.Error("the replaced token is still valid")
		}
		if _, err := org.CompleteSetup(ctx, db, acc, tenant, setup(first), testNow); !errors.Is(err, org.ErrBadSetupToken) {
			t.Errorf("replaced token: %v, want ErrBadSetupToken", err)
		}
		if ok, _ := org.Initialized(ctx, db, tenant); ok {
			t.Error("a refused setup initialised the organisation")
		}
		if _, err := org.CompleteSetup(ctx, db, acc, tenant, setup(second), testNow); err != nil {
			t.Errorf("newest token: %v", err)
		}
	})
}

func TestCompleteSetupRejectsBadTokensAndKeepsTheValidOne(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc := newAccounts(db)
		token, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"", token[:len(token)-1], token + "x", strings.ToUpper(token), keys.NewSessionToken()} {
			if _, err := org.CompleteSetup(ctx, db, acc, tenant, setup(bad), testNow); !errors.Is(err, org.ErrBadSetupToken) {
				t.Errorf("token %q: %v, want ErrBadSetupToken", bad, err)
			}
		}
		if ok, _ := org.SetupTokenValid(ctx, db, tenant, token); !ok {
			t.Error("wrong guesses invalidated the real token")
		}
	})
}

// A setup that fails validation rolls back entirely: the token still
// works, and no organisation or user exists.
func TestFailedSetupLeavesTheTokenUsable(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*org.Setup)
		err    error
	}{
		{"invalid organisation name", func(s *org.Setup) { s.OrgName = "  " }, org.ErrInvalidName},
		{"overlong organisation name", func(s *org.Setup) { s.OrgName = strings.Repeat("x", 201) }, org.ErrInvalidName},
		{"invalid e-mail", func(s *org.Setup) { s.Email = "admin" }, accounts.ErrInvalidEmail},
		{"weak password", func(s *org.Setup) { s.Password = "short" }, accounts.ErrWeakPassword},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc := newAccounts(db)
		token, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := setup(token)
				tt.modify(&s)
				if _, err := org.CompleteSetup(ctx, db, acc, tenant, s, testNow); !errors.Is(err, tt.err) {
					t.Fatalf("CompleteSetup: %v, want %v", err, tt.err)
				}
				if ok, _ := org.SetupTokenValid(ctx, db, tenant, token); !ok {
					t.Error("a failed setup used up the token")
				}
				if ok, _ := org.Initialized(ctx, db, tenant); ok {
					t.Error("a failed setup initialised the organisation")
				}
				if n, _ := db.CountUsers(ctx, tenant); n != 0 {
					t.Errorf("a failed setup left %d users", n)
				}
			})
		}
		if _, err := org.CompleteSetup(ctx, db, acc, tenant, setup(token), testNow); err != nil {
			t.Errorf("setup after the failures: %v", err)
		}
	})
}

func TestCompleteSetupOnAnInitialisedOrganisationFails(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := org.Init(ctx, db, tenant, "Acme AS", testNow); err != nil {
			t.Fatal(err)
		}
		token, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := org.CompleteSetup(ctx, db, newAccounts(db), tenant, setup(token), testNow); !errors.Is(err, org.ErrInitialized) {
			t.Errorf("CompleteSetup: %v, want ErrInitialized", err)
		}
		if n, _ := db.CountUsers(ctx, tenant); n != 0 {
			t.Errorf("%d users created", n)
		}
	})
}

func TestAdminCreatedAtSetupHandlesTheDefaultChannel(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		token, err := org.NewSetupToken(ctx, db, tenant, testNow)
		if err != nil {
			t.Fatal(err)
		}
		created, err := org.CompleteSetup(ctx, db, newAccounts(db), tenant, setup(token), testNow)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.UserByID(ctx, tenant, created.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != accounts.RoleAdmin || u.Email != "admin@example.org" {
			t.Errorf("user %s role %s", u.Email, u.Role)
		}
		rs, err := db.ChannelRecipients(ctx, tenant, org.DefaultChannel)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].UserID != created.UserID || rs[0].PublicKey != u.PublicKey {
			t.Errorf("default channel recipients %+v, want the admin %s", rs, created.UserID)
		}
		tn, err := db.Tenant(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if tn.Name != "Acme AS" || len(tn.ReceiptSalt) < 16 {
			t.Errorf("tenant %q salt %d bytes", tn.Name, len(tn.ReceiptSalt))
		}
	})
}
