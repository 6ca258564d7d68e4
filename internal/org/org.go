// Package org sets up an organisation: the tenant row with its receipt
// salt, the default questionnaire and channel, and the first-run setup
// token that lets the first admin in.
package org

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// DefaultTenant is the only tenant until multi-tenancy arrives.
const DefaultTenant = "default"

// DefaultChannel is the id of the channel created at setup.
const DefaultChannel = "general"

// Directive 2019/1937 art. 9(1)(b) and (f): acknowledge within 7 days,
// give feedback within 3 months of the acknowledgement.
const (
	DefaultAckDays        = 7
	DefaultFeedbackMonths = 3
)

var (
	// ErrInitialized means setup already ran.
	ErrInitialized = errors.New("the organisation is already set up")
	// ErrInvalidName rejects an empty or overlong organisation name.
	ErrInvalidName = errors.New("organisation name must have 1 to 200 characters")
	// ErrBadSetupToken rejects a used, replaced or mistyped setup link.
	ErrBadSetupToken = errors.New("setup link not valid")
)

// Initialized tells whether the tenant exists.
func Initialized(ctx context.Context, db *store.DB, tenant string) (bool, error) {
	_, err := db.Tenant(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Initialize creates the organisation, the default questionnaire and the
// default channel in tx.
func Initialize(ctx context.Context, tx *store.Tx, tenant, name string, now time.Time) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return ErrInvalidName
	}
	if err := tx.InsertTenant(ctx, store.Tenant{ID: tenant, Name: name, ReceiptSalt: keys.NewSalt(), CreatedAt: now}); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return ErrInitialized
		}
		return err
	}
	q := questionnaire.Default()
	body, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("org: encode questionnaire: %w", err)
	}
	if err := tx.InsertQuestionnaire(ctx, tenant, q.ID, q.Version, string(body), now); err != nil {
		return err
	}
	chName, _ := json.Marshal(questionnaire.Text{"en": "Report a concern", "da": "Indberet en bekymring", "nb": "Varsle om kritikkverdige forhold"})
	chDesc, _ := json.Marshal(questionnaire.Text{
		"en": "For wrongdoing in or around " + name + ": breaches of law, danger to health, safety or the environment, fraud, corruption, harassment.",
		"da": "Om ulovligheder og alvorlige forhold i eller omkring " + name + ": lovbrud, fare for sundhed, sikkerhed eller miljø, svig, korruption, chikane.",
		"nb": "Om kritikkverdige forhold i eller rundt " + name + ": lovbrudd, fare for liv, helse, sikkerhet eller miljø, økonomisk misligheter, korrupsjon, trakassering.",
	})
	return tx.InsertChannel(ctx, store.Channel{TenantID: tenant, ID: DefaultChannel, Name: string(chName), Description: string(chDesc),
		QuestionnaireID: q.ID, QuestionnaireVersion: q.Version, CreatedAt: now,
		AckDays: DefaultAckDays, FeedbackMonths: DefaultFeedbackMonths})
}

// Init runs Initialize in its own transaction (for `varsel init`).
func Init(ctx context.Context, db *store.DB, tenant, name string, now time.Time) error {
	return db.InTx(ctx, func(tx *store.Tx) error { return Initialize(ctx, tx, tenant, name, now) })
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewSetupToken makes the one-time token for the setup link, replacing any
// earlier one.
func NewSetupToken(ctx context.Context, db *store.DB, tenant string, now time.Time) (string, error) {
	token := keys.NewSessionToken()
	if err := db.PutSetupToken(ctx, tenant, hashToken(token), now); err != nil {
		return "", err
	}
	return token, nil
}

// SetupTokenValid checks a setup link before showing the form.
func SetupTokenValid(ctx context.Context, db *store.DB, tenant, token string) (bool, error) {
	return db.SetupTokenValid(ctx, tenant, hashToken(token))
}

// Setup is the browser's first-run form.
type Setup struct {
	Token    string
	OrgName  string
	Email    string
	Password string
}

// CompleteSetup consumes the token and creates the organisation, its
// default channel and questionnaire, and the first admin (a handler of the
// default channel) in one transaction.
func CompleteSetup(ctx context.Context, db *store.DB, acc *accounts.Service, tenant string, s Setup, now time.Time) (accounts.Created, error) {
	u, created, err := acc.Prepare(ctx, accounts.NewUser{Email: s.Email, Role: accounts.RoleAdmin, Password: s.Password,
		// The first admin is the first custodian of identities, so that
		// identity requests can be decided from the start.
		Custodian: true})
	if err != nil {
		return accounts.Created{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := tx.ConsumeSetupToken(ctx, tenant, hashToken(s.Token))
		if err != nil {
			return err
		}
		if !ok {
			return ErrBadSetupToken
		}
		if err := Initialize(ctx, tx, tenant, s.OrgName, now); err != nil {
			return err
		}
		return accounts.InsertUser(ctx, tx, u, []string{DefaultChannel})
	})
	if err != nil {
		return accounts.Created{}, err
	}
	return created, nil
}
