package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// A report form, and the confirmation step after it, carry a random token
// (a form token, or the parked draft's token). When the report commits,
// a hash of each token is recorded in the same transaction. A form posted
// again (the browser's "resend" on refreshing the receipt page, a double
// click) is then recognised and not stored a second time:
// the whistleblower is told the report was already sent instead of
// getting a second case and a second receipt. The public site keeps no
// cookie, so the token travels in the form itself.

// ErrAlreadySubmitted means the form was sent before; nothing was stored.
var ErrAlreadySubmitted = errors.New("intake: this form was already sent")

// FormMarkLifetime is how long a sent form is remembered.
const FormMarkLifetime = 30 * 24 * time.Hour

// NewFormToken returns a token for a new report form.
func NewFormToken() string { return keys.NewSessionToken() }

// formMark is what is stored of a token. A token of another shape (an old
// page, a client that sends none, garbage) has no mark and is not
// remembered: the report is accepted as it would be without a token.
func formMark(token string) (string, bool) {
	id, err := keys.SessionID(token)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte("varsel submitted form\x00" + id))
	return hex.EncodeToString(sum[:]), true
}

// FormSubmitted reports whether a report was already stored from the form
// or confirmation step that carried token.
func (s *Service) FormSubmitted(ctx context.Context, token string) (bool, error) {
	mark, ok := formMark(token)
	if !ok {
		return false, nil
	}
	return s.cfg.DB.FormSubmitted(ctx, s.cfg.Tenant, mark)
}

// markForms returns a commit step recording tokens as used, then running
// next (if set).
func (s *Service) markForms(ctx context.Context, next func(*store.Tx) error, tokens ...string) func(*store.Tx) error {
	return func(tx *store.Tx) error {
		for _, t := range tokens {
			mark, ok := formMark(t)
			if !ok {
				continue
			}
			err := tx.MarkFormSubmitted(ctx, s.cfg.Tenant, mark, s.cfg.Now())
			if errors.Is(err, store.ErrFormUsed) {
				return ErrAlreadySubmitted
			}
			if err != nil {
				return err
			}
		}
		if next != nil {
			return next(tx)
		}
		return nil
	}
}

// deleteOldFormMarks forgets forms sent more than FormMarkLifetime ago.
func (s *Service) deleteOldFormMarks(ctx context.Context) error {
	if _, err := s.cfg.DB.DeleteFormMarksBefore(ctx, s.cfg.Now().Add(-FormMarkLifetime)); err != nil {
		return fmt.Errorf("intake: forget old forms: %w", err)
	}
	return nil
}
