// Package privacy keeps two of the controller's GDPR registers inside
// Varsel, with their deadlines enforced:
//
//   - the breach log (GDPR arts. 33 and 34; compliance ids BR-1 to BR-4),
//   - the register of data-subject requests (arts. 12 to 22; DSR-1 to DSR-4).
//
// Admins and the data protection officer (role dpo) read and write both;
// handlers may not. What a person typed (requester names and contacts,
// descriptions, notes, reasons) is sealed under the tenant's register key
// K_reg, which is age-wrapped to every admin and dpo; dates, types, states
// and deadlines stay in clear so that overdue entries can be listed without
// a key. Every read and change is audited with ids only.
//
// The rules are pure functions (rules.go) so they can be tested with a fixed
// clock; the Service applies them inside one transaction per change.
package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Kind says what sort of failure an Error is; the web layer maps it to a status.
type Kind int

const (
	KindInvalid   Kind = iota + 1 // the input breaks a rule: 422
	KindConflict                  // the entry's state does not allow the step: 409
	KindForbidden                 // the user may not use the registers: 403
	KindNotFound                  // no such entry: 404
)

// Error is a rule the caller broke. Code is a stable token for clients;
// Fields names the missing or invalid input fields. Msg never holds content.
type Error struct {
	Kind   Kind
	Code   string
	Msg    string
	Fields []string
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return e.Msg + ": " + strings.Join(e.Fields, ", ")
	}
	return e.Msg
}

// Is makes errors.Is match on the code, so a sentinel matches a copy of it
// that names fields.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (e *Error) with(fields ...string) *Error {
	c := *e
	c.Fields = fields
	return &c
}

// The rules' errors.
var (
	ErrForbidden     = &Error{Kind: KindForbidden, Code: "forbidden", Msg: "only admins and the data protection officer may use the registers"}
	ErrNoRegisterKey = &Error{Kind: KindForbidden, Code: "no_register_key", Msg: "the register key has not been shared with you yet; it is shared when a user who holds it opens the registers"}
	ErrNotFound      = &Error{Kind: KindNotFound, Code: "not_found", Msg: "not found"}
	ErrInvalid       = &Error{Kind: KindInvalid, Code: "invalid_request", Msg: "some fields are missing or invalid"}

	// Breach log.
	ErrRiskReasonRequired     = &Error{Kind: KindInvalid, Code: "risk_reason_required", Msg: "a risk level other than the one derived from the severity needs a reason"}
	ErrLateReasonRequired     = &Error{Kind: KindInvalid, Code: "late_reason_required", Msg: "the authority was notified more than 72 hours after awareness; give the reason for the delay (art. 33(1))"}
	ErrNotificationIncomplete = &Error{Kind: KindInvalid, Code: "notification_incomplete", Msg: "the notification lacks content required by art. 33(3)"}
	ErrAlreadyNotified        = &Error{Kind: KindConflict, Code: "already_notified", Msg: "the authority notification is already recorded; add further information as an update (art. 33(4))"}
	ErrSubjectNoticeRequired  = &Error{Kind: KindConflict, Code: "subject_notice_required", Msg: "a high-risk breach needs a notice to the data subjects or a recorded art. 34(3) exception before it is closed"}
	ErrAuthorityNoticeNeeded  = &Error{Kind: KindConflict, Code: "authority_notification_required", Msg: "a breach with risk needs the authority notification recorded before it is closed (art. 33(1))"}
	ErrSubjectNoticeRecorded  = &Error{Kind: KindConflict, Code: "subject_notice_recorded", Msg: "a notice to the data subjects or an exception is already recorded"}
	ErrClosed                 = &Error{Kind: KindConflict, Code: "closed", Msg: "the entry is closed"}

	// Data-subject requests.
	ErrUnverified              = &Error{Kind: KindConflict, Code: "identity_unverified", Msg: "the requester's identity is not verified (art. 12(6))"}
	ErrAlreadyVerified         = &Error{Kind: KindConflict, Code: "already_verified", Msg: "the requester's identity is already verified"}
	ErrExtensionTooLate        = &Error{Kind: KindInvalid, Code: "extension_too_late", Msg: "an extension must be decided, and the requester told, within one month of receipt (art. 12(3))"}
	ErrAlreadyExtended         = &Error{Kind: KindConflict, Code: "already_extended", Msg: "the deadline was already extended"}
	ErrReasonRequired          = &Error{Kind: KindInvalid, Code: "reason_required", Msg: "a reason is required"}
	ErrComplaintNoticeRequired = &Error{Kind: KindInvalid, Code: "complaint_notice_required", Msg: "a refusal must tell the requester of the right to complain to a supervisory authority and to seek a judicial remedy (art. 12(4))"}
	ErrRequesterRequired       = &Error{Kind: KindInvalid, Code: "requester_required", Msg: "the requester's name or contact is required"}
)

// Config holds what the Service needs.
type Config struct {
	DB     *store.DB
	Tenant string
	Now    func() time.Time
}

// Service implements the two registers.
type Service struct {
	db     *store.DB
	tenant string
	now    func() time.Time
	audit  *audit.Log
	// keyGen is the generation of the register key registerKey last
	// unwrapped; writes sealed under it check it is still current.
	keyGen int64
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{db: cfg.DB, tenant: cfg.Tenant, now: cfg.Now, audit: audit.New(cfg.DB, cfg.Now)}
}

// MayUse tells whether a role may read and write the registers.
func MayUse(role string) bool { return role == accounts.RoleAdmin || role == accounts.RoleDPO }

func (s *Service) authorize(st *accounts.Staff) error {
	if st == nil || st.TenantID != s.tenant || !MayUse(st.Role) {
		return ErrForbidden
	}
	return nil
}

// location is the organisation's time zone, in which calendar months are counted.
func (s *Service) location(ctx context.Context) (*time.Location, error) {
	t, err := s.db.Tenant(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	return deadline.LoadLocation(t.TimeZone)
}

// registerKey returns K_reg for st. The first admin or dpo to use the
// registers creates it and wraps it to every enabled admin and dpo; a
// holder who opens the registers wraps it to those who joined since.
// A key whose rotation is due (rotation.go) is rotated first.
func (s *Service) registerKey(ctx context.Context, st *accounts.Staff) (keys.Key, error) {
	for attempt := 0; ; attempt++ {
		k, err := s.unwrapRegisterKey(ctx, st)
		if err != nil {
			return keys.Key{}, err
		}
		due, err := s.rotationDue(ctx)
		if err != nil {
			return keys.Key{}, err
		}
		if !due || attempt > 0 {
			if err := s.shareRegisterKey(ctx, st, k); err != nil {
				return keys.Key{}, err
			}
			return k, nil
		}
		err = s.db.InTx(ctx, func(tx *store.Tx) error { return s.rotateRegisterKey(ctx, tx, st, k, s.now()) })
		if err != nil && !errors.Is(err, ErrKeyRotated) { // another holder rotated first
			return keys.Key{}, err
		}
	}
}

func (s *Service) unwrapRegisterKey(ctx context.Context, st *accounts.Staff) (keys.Key, error) {
	wrapped, gen, err := s.db.RegisterKeyGen(ctx, s.tenant, st.UserID)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.createRegisterKey(ctx, st); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return keys.Key{}, err
		}
		wrapped, gen, err = s.db.RegisterKeyGen(ctx, s.tenant, st.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return keys.Key{}, ErrNoRegisterKey
		}
	}
	if err != nil {
		return keys.Key{}, err
	}
	k, err := st.Identity.UnwrapKey(wrapped)
	if err != nil {
		return keys.Key{}, fmt.Errorf("privacy: unwrap register key: %w", err)
	}
	s.keyGen = gen
	return k, nil
}

func (s *Service) createRegisterKey(ctx context.Context, st *accounts.Staff) error {
	holders, lacking, err := s.db.RegisterKeyUsers(ctx, s.tenant, accounts.RoleAdmin, accounts.RoleDPO)
	if err != nil {
		return err
	}
	if len(holders) > 0 {
		return store.ErrDuplicate // the key exists; it was not wrapped to st
	}
	k := keys.NewKey()
	now := s.now()
	s.keyGen = 1 // a new keyring starts at generation 1
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateRegisterKeyring(ctx, s.tenant, st.UserID, now); err != nil {
			return err
		}
		for _, u := range lacking {
			if err := s.wrapTo(ctx, tx, st, u, k, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) shareRegisterKey(ctx context.Context, st *accounts.Staff, k keys.Key) error {
	_, lacking, err := s.db.RegisterKeyUsers(ctx, s.tenant, accounts.RoleAdmin, accounts.RoleDPO)
	if err != nil || len(lacking) == 0 {
		return err
	}
	now := s.now()
	for _, u := range lacking {
		err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.wrapTo(ctx, tx, st, u, k, now) })
		// A concurrent holder shared it first, or rotated the key: the
		// rotation wraps the new key to every holder.
		if err != nil && !errors.Is(err, store.ErrDuplicate) && !errors.Is(err, ErrKeyRotated) {
			return err
		}
	}
	return nil
}

func (s *Service) wrapTo(ctx context.Context, tx *store.Tx, st *accounts.Staff, u store.User, k keys.Key, now time.Time) error {
	if gen, err := tx.LockRegisterKeyring(ctx, s.tenant); err != nil {
		return err
	} else if gen != s.keyGen {
		return ErrKeyRotated // never hand out a rotated-out key
	}
	w, err := keys.WrapKey(u.PublicKey, k)
	if err != nil {
		return fmt.Errorf("privacy: wrap register key: %w", err)
	}
	if err := tx.PutRegisterKeyGen(ctx, s.tenant, u.ID, w, s.keyGen, now); err != nil {
		return err
	}
	_, err = s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterWrite, ObjectType: audit.ObjectUser, ObjectID: u.ID, Detail: "register_key.grant"})
	return err
}

func (s *Service) ad(register, parentID, entryID string) []byte {
	return keys.AD(s.tenant, "register", register, parentID, entryID)
}

func (s *Service) seal(k keys.Key, register, parentID, entryID string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return keys.Seal(k, b, s.ad(register, parentID, entryID)), nil
}

func (s *Service) open(k keys.Key, e store.RegisterEntry, v any) error {
	b, err := keys.Open(k, e.Body, s.ad(e.Register, e.ParentID, e.ID))
	if err != nil {
		return fmt.Errorf("privacy: open register entry: %w", err)
	}
	return json.Unmarshal(b, v)
}

// record appends a sealed entry and its audit record in tx.
func (s *Service) record(ctx context.Context, tx *store.Tx, st *accounts.Staff, k keys.Key, register, parentID string,
	seq int64, kind string, body any, now time.Time) error {
	if gen, err := tx.LockRegisterKeyring(ctx, s.tenant); err != nil {
		return err
	} else if gen != s.keyGen {
		return ErrKeyRotated
	}
	id := store.NewID()
	sealed, err := s.seal(k, register, parentID, id, body)
	if err != nil {
		return err
	}
	if err := tx.InsertRegisterEntry(ctx, store.RegisterEntry{TenantID: s.tenant, Register: register, ParentID: parentID,
		ID: id, Seq: seq, Kind: kind, AuthorID: st.UserID, Body: sealed, CreatedAt: now}); err != nil {
		return err
	}
	obj := objectOf(register)
	_, err = s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterWrite, ObjectType: obj, ObjectID: parentID, Detail: register + "." + kind})
	return err
}

// recordRead audits a read before content is returned (fail closed).
func (s *Service) recordRead(ctx context.Context, st *accounts.Staff, objectType, id string) error {
	if objectType == audit.ObjectRegister && id == "" {
		id = "list"
	}
	_, err := s.audit.Record(ctx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterRead, ObjectType: objectType, ObjectID: id})
	return err
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// EntryView is one entry of a register item's history.
type EntryView struct {
	ID        string    `json:"id"`
	Seq       int64     `json:"seq"`
	Kind      string    `json:"kind"`
	AuthorID  string    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
	Body      any       `json:"body"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func clean(s string) string { return strings.TrimSpace(s) }

const maxText = 20000

func checkText(fields map[string]string) error {
	var bad []string
	for name, v := range fields {
		if len(v) > maxText || strings.ContainsRune(v, 0) {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return ErrInvalid.with(bad...)
	}
	return nil
}
