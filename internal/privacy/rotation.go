package privacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Register key rotation. K_reg is wrapped to every enabled admin and dpo.
// A user who loses the role or is disabled may have kept a copy of it (the
// server handed it to their browser session), so deleting their wrap is
// not enough: the key is replaced. In one transaction a new key is made,
// every register entry is opened under the old key and re-sealed under
// the new one with the same associated data, every old wrap is deleted
// and the new key is wrapped to the remaining holders only. A failure
// anywhere rolls the whole rotation back, so an interrupted rotation
// leaves the old key and every entry as they were.
//
// The rotation runs where the role is lost (an access review's
// revoke-role or disable) when the reviewer holds the key. Otherwise the
// lost holder's wrap is deleted and the keyring marked rotate_pending,
// and the next holder to open the registers rotates; that same check also
// catches wraps of users whose role was changed some other way.
//
// Writers take the keyring row (store.LockRegisterKeyring) in the
// transaction that seals an entry and compare its generation with the
// generation of the key they unwrapped: an entry sealed under a rotated-out
// key is never committed (ErrKeyRotated, try again).

// ErrKeyRotated: the register key changed while the caller held the old one.
var ErrKeyRotated = &Error{Kind: KindConflict, Code: "register_key_rotated", Msg: "the register key was rotated meanwhile; try again"}

// rotationDue tells whether the register key must be rotated before use.
func (s *Service) rotationDue(ctx context.Context) (bool, error) {
	r, err := s.db.RegisterKeyState(ctx, s.tenant, accounts.RoleAdmin, accounts.RoleDPO)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.RotatePending || r.StaleHolders > 0, nil
}

// rotateRegisterKey replaces K_reg inside tx (see above). old is the key
// of generation s.keyGen that st unwrapped.
func (s *Service) rotateRegisterKey(ctx context.Context, tx *store.Tx, st *accounts.Staff, old keys.Key, now time.Time) error {
	gen, err := tx.LockRegisterKeyring(ctx, s.tenant)
	if err != nil {
		return err
	}
	if gen != s.keyGen {
		return ErrKeyRotated
	}
	entries, err := tx.AllRegisterEntries(ctx, s.tenant)
	if err != nil {
		return err
	}
	next := keys.NewKey()
	for _, e := range entries {
		ad := s.ad(e.Register, e.ParentID, e.ID)
		plain, err := keys.Open(old, e.Body, ad)
		if err != nil {
			// Never drop an entry the old key cannot open: abort instead.
			return fmt.Errorf("privacy: rotate register key: open entry: %w", err)
		}
		if err := tx.ResealRegisterEntry(ctx, s.tenant, e.ID, keys.Seal(next, plain, ad)); err != nil {
			return err
		}
	}
	if err := tx.ReplaceRegisterKeys(ctx, s.tenant, gen+1, now); err != nil {
		return err
	}
	holders, err := tx.RegisterKeyCandidates(ctx, s.tenant, accounts.RoleAdmin, accounts.RoleDPO)
	if err != nil {
		return err
	}
	for _, u := range holders {
		w, err := keys.WrapKey(u.PublicKey, next)
		if err != nil {
			return fmt.Errorf("privacy: wrap rotated register key: %w", err)
		}
		if err := tx.PutRegisterKeyGen(ctx, s.tenant, u.ID, w, gen+1, now); err != nil {
			return err
		}
	}
	_, err = s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterWrite, ObjectType: audit.ObjectRegister, ObjectID: "keys", Detail: "register_key.rotate"})
	return err
}

// RotateRegisterKey rotates K_reg at once (admins and the DPO), for
// example after a suspected leak of a key.
func (s *Service) RotateRegisterKey(ctx context.Context, st *accounts.Staff) error {
	if err := s.authorize(st); err != nil {
		return err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.rotateRegisterKey(ctx, tx, st, k, s.now()) })
}

// dropRegisterHolder runs in the transaction that takes the admin or dpo
// role from userID or disables them: their wrap goes, and the key is
// rotated at once when the acting user's key (old, ok) is at hand, or
// marked for rotation by the next holder otherwise.
func (s *Service) dropRegisterHolder(ctx context.Context, tx *store.Tx, st *accounts.Staff, userID string, old keys.Key, ok bool, now time.Time) error {
	if err := tx.DropRegisterKey(ctx, s.tenant, userID); err != nil {
		return err
	}
	if !ok {
		return nil
	}
	return s.rotateRegisterKey(ctx, tx, st, old, now)
}

// currentRegisterKey returns st's register key if the keyring exists and
// st holds it, without creating one.
func (s *Service) currentRegisterKey(ctx context.Context, st *accounts.Staff) (keys.Key, bool, error) {
	if _, err := s.db.RegisterKeyState(ctx, s.tenant, accounts.RoleAdmin, accounts.RoleDPO); errors.Is(err, store.ErrNotFound) {
		return keys.Key{}, false, nil
	} else if err != nil {
		return keys.Key{}, false, err
	}
	k, err := s.registerKey(ctx, st)
	if errors.Is(err, ErrNoRegisterKey) {
		return keys.Key{}, false, nil
	}
	if err != nil {
		return keys.Key{}, false, err
	}
	return k, true, nil
}
