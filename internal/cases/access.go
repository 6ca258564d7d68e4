package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

var (
	// ErrExcluded refuses access for a handler the whistleblower excluded
	// (conflict of interest, CW-5): no key is ever wrapped to them.
	ErrExcluded = errors.New("this person is excluded from the case")
	// ErrLastHolder refuses to revoke the last handler's access, which
	// would leave the case readable by nobody on staff.
	ErrLastHolder = errors.New("at least one handler must keep access to the case")
)

// Journal entry kind for access changes.
const EntryAccess = "access"

// Holders lists who on staff can open a case.
func (s *Service) Holders(ctx context.Context, st *accounts.Staff, reportID string) ([]store.Holder, error) {
	if _, err := s.open(ctx, st, reportID); err != nil {
		return nil, err
	}
	return s.cfg.DB.ReportHolders(ctx, st.TenantID, reportID)
}

// exclusions opens the case's sealed list of excluded handlers.
func exclusions(c *Case) ([]string, error) {
	if len(c.Report.Exclusions) == 0 {
		return nil, nil
	}
	if c.Keys.Case == nil {
		return nil, ErrNoCaseKey
	}
	var ids []string
	if err := report.OpenJSON(*c.Keys.Case, c.Report.Exclusions, report.ADExclusions(c.Report.TenantID, c.Report.ID), &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// Grant gives another staff user access to a case (CA-1): the granting
// handler wraps the report key and the case key to the grantee's public
// key. The identity key is not granted: identity access goes through its
// own approval. The grant is journaled and audited.
func (s *Service) Grant(ctx context.Context, st *accounts.Staff, reportID, granteeID string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	grantee, err := s.cfg.DB.UserByID(ctx, st.TenantID, granteeID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !grantee.DisabledAt.IsZero() {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	excluded, err := exclusions(c)
	if err != nil {
		return err
	}
	if slices.Contains(excluded, grantee.ID) {
		return ErrExcluded
	}
	if _, err := s.cfg.DB.ReportKey(ctx, st.TenantID, reportID, store.KeyReport, store.HolderUser, grantee.ID); err == nil {
		return nil // already has access
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	now := s.cfg.Now()
	var wraps []store.ReportKey
	for kind, k := range map[string]keys.Key{store.KeyReport: c.Keys.Report, store.KeyCase: *c.Keys.Case} {
		w, err := keys.WrapKey(grantee.PublicKey, k)
		if err != nil {
			return fmt.Errorf("cases: wrap key for grantee: %w", err)
		}
		wraps = append(wraps, store.ReportKey{TenantID: st.TenantID, ReportID: reportID, Kind: kind,
			HolderType: store.HolderUser, HolderID: grantee.ID, Alg: report.AlgAgeX25519, Wrapped: w, CreatedAt: now})
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryAccess, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "grant", UserID: grantee.ID})
	if err != nil {
		return err
	}
	return s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, w := range wraps {
			if err := tx.InsertReportKey(ctx, w); err != nil {
				return err
			}
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseAccessGrant, audit.ObjectCase, reportID, grantee.ID))
		return err
	})
}

// Revoke removes a user's access to a case by deleting every key wrapped to
// them. What they read before stays read: that is the limit of revocation.
func (s *Service) Revoke(ctx context.Context, st *accounts.Staff, reportID, userID string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	holders, err := s.cfg.DB.ReportHolders(ctx, st.TenantID, reportID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(holders, func(h store.Holder) bool { return h.UserID == userID }) {
		return ErrNotFound
	}
	if len(holders) == 1 {
		return ErrLastHolder
	}
	now := s.cfg.Now()
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryAccess, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "revoke", UserID: userID})
	if err != nil {
		return err
	}
	return s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteUserReportKeys(ctx, st.TenantID, reportID, userID); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseAccessRevoke, audit.ObjectCase, reportID, userID))
		return err
	})
}
