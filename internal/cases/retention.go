package cases

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Journal entry kinds of retention (internal/retention).
const (
	EntryHold      = "hold"      // legal hold placed or released (RT-2)
	EntryRetention = "retention" // retention extended (RT-1), once per case
	EntryPurge     = "purge"     // irrelevant messages or files purged (JR-4)
)

// MaxRetentionExtensionMonths bounds the one retention extension of a case.
const MaxRetentionExtensionMonths = 24

var (
	ErrHoldExists       = errors.New("the case is already on legal hold")
	ErrNoHold           = errors.New("the case is not on legal hold")
	ErrAlreadyExtended  = errors.New("the retention of this case was extended before; it can be extended once")
	ErrInvalidRetention = errors.New("a retention extension needs a reason and 1 to 24 months")
	ErrInvalidPurge     = errors.New("a purge needs a reason and at least one message or file of the case")
)

// adHold binds a sealed hold reason to its case.
func adHold(tenant, reportID string) []byte {
	return keys.AD(tenant, "report", reportID, "hold", "reason")
}

func retentionReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", ErrReasonRequired
	}
	if utf8.RuneCountInString(reason) > report.MaxMessageLen {
		return "", ErrInvalidNote
	}
	return report.CheckText(reason)
}

// PlaceHold puts a case on legal hold (RT-2): the retention job does not
// delete it until the hold is released. The reason is required; it is
// sealed under the case key, in the hold and in the journal.
func (s *Service) PlaceHold(ctx context.Context, st *accounts.Staff, reportID, reason string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	if reason, err = retentionReason(reason); err != nil {
		return err
	}
	now := s.cfg.Now()
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryHold, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "place", Reason: reason})
	if err != nil {
		return err
	}
	hold := store.CaseHold{TenantID: st.TenantID, ReportID: reportID, PlacedBy: st.UserID, PlacedAt: now,
		Reason: keys.Seal(*c.Keys.Case, []byte(reason), adHold(st.TenantID, reportID))}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		// The journal append locks the report row first, so the deletion
		// job (which locks it too) sees the hold or finds the case gone.
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		if err := tx.InsertHold(ctx, hold); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseHold, audit.ObjectCase, reportID, "place"))
		return err
	})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return ErrHoldExists
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	}
	return err
}

// ReleaseHold lifts a legal hold, with an optional reason; the case then expires
// as its policy says (at the next run of the job if already past).
func (s *Service) ReleaseHold(ctx context.Context, st *accounts.Staff, reportID, reason string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	if reason = strings.TrimSpace(reason); reason != "" {
		if reason, err = retentionReason(reason); err != nil {
			return err
		}
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryHold, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: s.cfg.Now()},
		journalBody{Action: "release", Reason: reason})
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		if err := tx.DeleteHold(ctx, st.TenantID, reportID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNoHold
			}
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseHold, audit.ObjectCase, reportID, "release"))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// ExtendRetention lengthens a case's retention by months, once per case,
// with a reason (journaled and audited).
func (s *Service) ExtendRetention(ctx context.Context, st *accounts.Staff, reportID string, months int, reason string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	if months < 1 || months > MaxRetentionExtensionMonths {
		return ErrInvalidRetention
	}
	if reason, err = retentionReason(reason); err != nil {
		return err
	}
	now := s.cfg.Now()
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryRetention, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Action: "extend", Reason: reason, To: "+" + strconv.Itoa(months) + " months"})
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		if err := tx.InsertRetentionExtension(ctx, store.RetentionExtension{TenantID: st.TenantID, ReportID: reportID,
			Months: months, ExtendedBy: st.UserID, ExtendedAt: now}); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseRetention, audit.ObjectCase, reportID, ""))
		return err
	})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		return ErrAlreadyExtended
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	}
	return err
}

// Purge removes messages and files manifestly irrelevant to the case at
// once (Directive art. 17, JR-4). Rows go in one transaction with a
// journal entry (kind "purge": the reason, sealed, and the ids removed;
// no content) and an audit entry; the files' blobs are deleted after
// commit (a crash in between leaves orphans the sweeper removes).
func (s *Service) Purge(ctx context.Context, st *accounts.Staff, reportID string, messageIDs, fileIDs []string, reason string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	if reason, err = retentionReason(reason); err != nil {
		return err
	}
	messageIDs, fileIDs = dedupe(messageIDs), dedupe(fileIDs)
	if len(messageIDs)+len(fileIDs) == 0 || len(messageIDs)+len(fileIDs) > 1000 {
		return ErrInvalidPurge
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryPurge, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: s.cfg.Now()},
		journalBody{Reason: reason, MessageIDs: messageIDs, FileIDs: fileIDs})
	if err != nil {
		return err
	}
	var blobs []string
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		var err error
		if blobs, err = tx.PurgeContent(ctx, st.TenantID, reportID, messageIDs, fileIDs); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrInvalidPurge
			}
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCasePurge, audit.ObjectCase, reportID, ""))
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return err
	}
	for _, k := range blobs {
		// A failure leaves ciphertext without a row, which the orphan
		// sweeper removes.
		_ = s.cfg.Blobs.Delete(ctx, k)
	}
	return nil
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
