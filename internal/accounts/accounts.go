// Package accounts manages staff users: creation with their key pair,
// password and TOTP login, and staff sessions that carry the unlocked
// private key.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/throttle"
	"github.com/varsel/varsel/internal/totp"
)

// Roles.
const (
	RoleAdmin   = "admin"
	RoleHandler = "handler"
	// RoleDPO is the data protection officer: reads every register and
	// log (GDPR art. 38 and 39) but no case content.
	RoleDPO = "dpo"
)

// MinPasswordLen follows NIST SP 800-63B's floor for user-chosen passwords,
// raised because a staff password guards every case the user can read.
const MinPasswordLen = 12

var (
	// ErrBadCredentials is the one answer to every failed staff login.
	ErrBadCredentials = errors.New("e-mail, password or code not accepted")
	// ErrThrottled means too many failed logins for the account lately.
	ErrThrottled = errors.New("too many failed attempts; try again later")
	// ErrInvalidEmail, ErrWeakPassword, ErrInvalidRole and ErrEmailTaken reject a new user.
	ErrInvalidEmail = errors.New("not a valid e-mail address")
	ErrWeakPassword = fmt.Errorf("password must have at least %d characters", MinPasswordLen)
	ErrInvalidRole  = errors.New("role must be admin, handler or dpo")
	ErrEmailTaken   = errors.New("a user with this e-mail address exists")
)

// Config holds what the service needs.
type Config struct {
	DB     *store.DB
	KDF    *keys.KDF
	Params keys.Params // keys.PasswordParams in production
	Tenant string
	Issuer string // shown in authenticator apps
	Now    func() time.Time
	// IdleTimeout ends staff sessions left unused; defaults to 30 minutes.
	IdleTimeout time.Duration
}

// Service implements staff account actions.
type Service struct {
	cfg      Config
	sessions *session.Manager
	failures *throttle.Failures
	audit    *audit.Log
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Varsel"
	}
	return &Service{
		cfg:      cfg,
		sessions: &session.Manager{DB: cfg.DB, Kind: store.SessionStaff, Idle: cfg.IdleTimeout, Absolute: 12 * time.Hour, Now: cfg.Now},
		failures: &throttle.Failures{Burst: 10, Every: time.Minute, Now: cfg.Now},
		audit:    audit.New(cfg.DB, cfg.Now),
	}
}

// NewUser is the input for CreateUser.
type NewUser struct {
	Email string
	// DisplayName is how whistleblowers see the user where a channel lets
	// them exclude handlers; empty keeps the user off that list.
	DisplayName string
	Role        string
	Password    string
	Channels    []string // channel ids the user handles
	// Custodian makes the user a custodian of whistleblowers' identities:
	// new reports' identity keys are wrapped to them, and they decide
	// handlers' requests to read an identity (CA-3).
	Custodian bool
}

// Created is shown once to the new user: it is never stored in clear.
type Created struct {
	UserID      string
	TOTPSecret  string // base32, for manual entry
	TOTPURI     string // otpauth:// URI for authenticator apps
	RecoveryKey string
}

// NormalizeEmail lower-cases and validates an address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// Prepare builds a user row with fresh keys; InsertUser stores it (within
// a caller's transaction, so setup can create the organisation and its
// first admin atomically).
func (s *Service) Prepare(ctx context.Context, in NewUser) (store.User, Created, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return store.User{}, Created{}, err
	}
	if in.Role != RoleAdmin && in.Role != RoleHandler && in.Role != RoleDPO {
		return store.User{}, Created{}, ErrInvalidRole
	}
	if utf8.RuneCountInString(in.Password) < MinPasswordLen {
		return store.User{}, Created{}, ErrWeakPassword
	}
	id, err := keys.NewIdentity()
	if err != nil {
		return store.User{}, Created{}, fmt.Errorf("accounts: new identity: %w", err)
	}
	salt := keys.NewSalt()
	pk, err := s.cfg.KDF.PasswordKeys(ctx, in.Password, salt, s.cfg.Params)
	if err != nil {
		return store.User{}, Created{}, err
	}
	recoveryDisplay, recKey := keys.NewRecoveryKey()
	totpSecret := totp.NewSecret()
	userID := newUserID()
	u := store.User{
		TenantID: s.cfg.Tenant, ID: userID, Email: email, Role: in.Role, DisplayName: strings.TrimSpace(in.DisplayName),
		PwSalt: salt, PwParams: paramsString(s.cfg.Params), PwVerifier: pk.Verifier,
		PublicKey:   id.Recipient(),
		SecretByPw:  keys.Seal(pk.Key, id.Bytes(), adSecret(s.cfg.Tenant, userID, "password")),
		SecretByRec: keys.Seal(recKey, id.Bytes(), adSecret(s.cfg.Tenant, userID, "recovery")),
		TOTPByPw:    keys.Seal(pk.Key, totpSecret, adTOTP(s.cfg.Tenant, userID, "password")),
		TOTPByRec:   keys.Seal(recKey, totpSecret, adTOTP(s.cfg.Tenant, userID, "recovery")),
		CreatedAt:   s.cfg.Now(),
		Custodian:   in.Custodian,
	}
	return u, Created{UserID: userID, TOTPSecret: totp.EncodeSecret(totpSecret),
		TOTPURI: totp.URI(s.cfg.Issuer, email, totpSecret), RecoveryKey: recoveryDisplay}, nil
}

// InsertUser stores a prepared user and its channel memberships.
func InsertUser(ctx context.Context, tx *store.Tx, u store.User, channels []string) error {
	if err := tx.InsertUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return ErrEmailTaken
		}
		return err
	}
	for _, ch := range channels {
		if err := tx.AddChannelHandler(ctx, u.TenantID, ch, u.ID); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser creates a user in its own transaction.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (Created, error) {
	u, created, err := s.Prepare(ctx, in)
	if err != nil {
		return Created{}, err
	}
	for _, ch := range in.Channels {
		if _, err := s.cfg.DB.Channel(ctx, s.cfg.Tenant, ch); err != nil {
			return Created{}, fmt.Errorf("accounts: channel %q: %w", ch, err)
		}
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := InsertUser(ctx, tx, u, in.Channels); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: u.TenantID, ActorType: audit.ActorSystem, ActorID: "cli",
			Action: audit.ActionUserCreate, ObjectType: audit.ObjectUser, ObjectID: u.ID, Detail: u.Role})
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return created, nil
}

func newUserID() string { return store.NewID() }

func paramsString(p keys.Params) string {
	return fmt.Sprintf("argon2id;t=%d;m=%d;p=%d", p.Time, p.MemoryKiB, p.Threads)
}

func parseParams(s string) (keys.Params, error) {
	var p keys.Params
	if _, err := fmt.Sscanf(s, "argon2id;t=%d;m=%d;p=%d", &p.Time, &p.MemoryKiB, &p.Threads); err != nil {
		return keys.Params{}, fmt.Errorf("accounts: stored password parameters %q: %w", s, err)
	}
	return p, nil
}

func adSecret(tenant, userID, by string) []byte {
	return keys.AD(tenant, "user", userID, "secret-key", by)
}
func adTOTP(tenant, userID, by string) []byte { return keys.AD(tenant, "user", userID, "totp", by) }

// Staff is a logged-in staff user with the unlocked private key.
type Staff struct {
	TenantID string
	UserID   string
	Email    string
	Role     string
	Identity *keys.Identity
}

// Login checks e-mail, password and TOTP code and returns a session token.
// Every failure gives the same error, so nothing tells which part was wrong
// or whether the account exists.
func (s *Service) Login(ctx context.Context, email, password, code string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if s.failures.Blocked(email) {
		return "", ErrThrottled
	}
	token, err := s.login(ctx, email, password, code)
	if errors.Is(err, ErrBadCredentials) {
		s.failures.Fail(email)
	}
	return token, err
}

// dummySalt keeps the Argon2 cost of a login for an unknown address equal
// to that of a known one, so timing does not reveal which accounts exist.
var dummySalt = keys.NewSalt()

func (s *Service) login(ctx context.Context, email, password, code string) (string, error) {
	u, err := s.cfg.DB.UserByEmail(ctx, s.cfg.Tenant, email)
	if errors.Is(err, store.ErrNotFound) {
		s.cfg.KDF.PasswordKeys(ctx, password, dummySalt, s.cfg.Params)
		return "", ErrBadCredentials
	}
	if err != nil {
		return "", err
	}
	params, err := parseParams(u.PwParams)
	if err != nil {
		return "", err
	}
	pk, err := s.cfg.KDF.PasswordKeys(ctx, password, u.PwSalt, params)
	if err != nil {
		return "", err
	}
	if !keys.VerifierEqual(pk.Verifier, u.PwVerifier) || !u.DisabledAt.IsZero() {
		return "", s.loginFailed(ctx, u)
	}
	secret, err := keys.Open(pk.Key, u.TOTPByPw, adTOTP(u.TenantID, u.ID, "password"))
	if err != nil {
		return "", fmt.Errorf("accounts: open totp secret: %w", err)
	}
	step, ok := totp.Verify(secret, strings.TrimSpace(code), s.cfg.Now(), u.TOTPLastStep)
	if !ok {
		return "", s.loginFailed(ctx, u)
	}
	if claimed, err := s.cfg.DB.ClaimTOTPStep(ctx, u.TenantID, u.ID, step); err != nil {
		return "", err
	} else if !claimed {
		return "", s.loginFailed(ctx, u)
	}
	skBytes, err := keys.Open(pk.Key, u.SecretByPw, adSecret(u.TenantID, u.ID, "password"))
	if err != nil {
		return "", fmt.Errorf("accounts: open private key: %w", err)
	}
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: u.TenantID, ActorType: audit.ActorStaff, ActorID: u.ID,
		Action: audit.ActionLogin, ObjectType: audit.ObjectUser, ObjectID: u.ID}); err != nil {
		return "", err
	}
	return s.sessions.Create(ctx, u.TenantID, u.ID, skBytes)
}

// loginFailed records a failed login to an existing account and returns
// the one error every failure gives.
func (s *Service) loginFailed(ctx context.Context, u store.User) error {
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: u.TenantID, ActorType: audit.ActorStaff, ActorID: u.ID,
		Action: audit.ActionLoginFailed, ObjectType: audit.ObjectUser, ObjectID: u.ID}); err != nil {
		return err
	}
	return ErrBadCredentials
}

// Authenticate resolves a session token to the staff user.
func (s *Service) Authenticate(ctx context.Context, token string) (*Staff, error) {
	sess, err := s.sessions.Open(ctx, token)
	if err != nil {
		return nil, err
	}
	// A session belongs to the tenant it was opened in; another tenant's
	// listener does not accept it.
	if sess.TenantID != s.cfg.Tenant {
		return nil, session.ErrNoSession
	}
	u, err := s.cfg.DB.UserByID(ctx, sess.TenantID, sess.SubjectID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !u.DisabledAt.IsZero() {
		return nil, session.ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	id, err := keys.ParseIdentity(sess.Secret)
	if err != nil {
		return nil, session.ErrNoSession
	}
	return &Staff{TenantID: u.TenantID, UserID: u.ID, Email: u.Email, Role: u.Role, Identity: id}, nil
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error { return s.sessions.End(ctx, token) }
