package cases

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// Deletion after a confirmed export (RT-3; Directive art. 18(1), GDPR art.
// 5(1)(e)): a channel can be set so that, once a closed case has been
// exported to the organisation's records system, the handler confirms the
// export arrived and Varsel deletes the case at once instead of keeping a
// second copy until its retention expires.
//
// The handler confirms one export by its id and the SHA-256 of the zip as
// the records system received it; Varsel compares it with the digest of
// the bytes it streamed. The export must be whole (streamed to the end),
// and the case must not have changed since (journal position and last
// activity as recorded at the export), so that nothing the export lacks is
// deleted. A case on legal hold or not closed is refused. The deletion is
// the retention job's (retention.Shred): keys first, then rows, a
// deletion record without content (basis "export", the confirming user,
// the export id and digest) and an audit entry case.delete "export", in
// one transaction; blobs after commit.

// SettingDeleteAfterExport lists the channels whose cases are deleted
// after a confirmed export (JSON array of channel ids).
const SettingDeleteAfterExport = "export.delete_after"

var (
	ErrExportDeletionOff = errors.New("this channel does not delete cases after a confirmed export; an admin can turn it on in the settings")
	ErrExportNotClosed   = errors.New("only a closed case can be deleted after its export")
	ErrExportHeld        = errors.New("the case is on legal hold and cannot be deleted")
	ErrExportNotFound    = errors.New("this case has no export with that id")
	ErrExportIncomplete  = errors.New("this export was not downloaded whole; export the case again")
	ErrExportStale       = errors.New("the case changed after this export; export it again and confirm the new export")
	ErrExportMismatch    = errors.New("the SHA-256 does not match the zip Varsel sent for this export")
	ErrExportDigest      = errors.New("the SHA-256 must be 64 hexadecimal characters")
	ErrInvalidChannels   = errors.New("unknown channel in the list")
)

// ExportInfo is one export of a case as listed to its handlers. The
// digest is not listed: the confirmation must come from the copy the
// records system holds, not from Varsel.
type ExportInfo struct {
	ID        string    `json:"id"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Complete  bool      `json:"complete"`
	// Current is false once the case changed after the export.
	Current bool `json:"current"`
}

// DeleteAfterExportChannels lists the channels whose cases are deleted
// after a confirmed export.
func (s *Service) DeleteAfterExportChannels(ctx context.Context, st *accounts.Staff) ([]string, error) {
	return s.deleteAfterExport(ctx, st.TenantID)
}

func (s *Service) deleteAfterExport(ctx context.Context, tenantID string) ([]string, error) {
	raw, ok, err := s.cfg.DB.Setting(ctx, tenantID, SettingDeleteAfterExport)
	if err != nil || !ok {
		return []string{}, err
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, fmt.Errorf("cases: decode %s: %w", SettingDeleteAfterExport, err)
	}
	return list, nil
}

// SetDeleteAfterExport sets the channels whose cases are deleted after a
// confirmed export (admins only; audited as a settings change).
func (s *Service) SetDeleteAfterExport(ctx context.Context, st *accounts.Staff, channels []string) ([]string, error) {
	if st.Role != accounts.RoleAdmin {
		return nil, ErrSettingsForbidden
	}
	known, err := s.cfg.DB.Channels(ctx, st.TenantID)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, id := range channels {
		id = strings.TrimSpace(id)
		if !slices.ContainsFunc(known, func(c store.Channel) bool { return c.ID == id }) {
			return nil, ErrInvalidChannels
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, s.putSetting(ctx, st, SettingDeleteAfterExport, out)
}

// DeletesAfterExport tells whether the case's channel deletes cases after
// a confirmed export.
func (s *Service) DeletesAfterExport(ctx context.Context, st *accounts.Staff, reportID string) (bool, error) {
	r, err := s.cfg.DB.Report(ctx, st.TenantID, reportID)
	if errors.Is(err, store.ErrNotFound) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	list, err := s.deleteAfterExport(ctx, st.TenantID)
	return slices.Contains(list, r.ChannelID), err
}

// Exports lists a case's exports, newest first.
func (s *Service) Exports(ctx context.Context, st *accounts.Staff, reportID string) ([]ExportInfo, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.CaseExports(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	seq, err := s.cfg.DB.JournalSeq(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	out := []ExportInfo{}
	for _, e := range rows {
		out = append(out, ExportInfo{ID: e.ID, CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt, Complete: !e.CompletedAt.IsZero(),
			Current: e.JournalSeq == seq && !c.Report.LastActivityAt.After(e.ActivityAt)})
	}
	return out, nil
}

// ExportDeletion is what a deletion after a confirmed export left behind.
type ExportDeletion struct {
	RecordID   string `json:"deletion_record"`
	CaseNumber int64  `json:"case_number"`
}

// normaliseDigest accepts a SHA-256 in hex, in either case, with spaces
// or a "sha256:" prefix as tools print it.
func normaliseDigest(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "sha256:")
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0] // "<digest>  case-12.zip" as sha256sum prints it
	}
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return "", ErrExportDigest
	}
	return s, nil
}

// ConfirmExportDeletion deletes a closed case after its handler confirmed,
// with the zip's SHA-256, that the records system holds export exportID.
func (s *Service) ConfirmExportDeletion(ctx context.Context, st *accounts.Staff, reportID, exportID, digest string) (ExportDeletion, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return ExportDeletion{}, err
	}
	channels, err := s.deleteAfterExport(ctx, st.TenantID)
	if err != nil {
		return ExportDeletion{}, err
	}
	if !slices.Contains(channels, c.Report.ChannelID) {
		return ExportDeletion{}, ErrExportDeletionOff
	}
	digest, err = normaliseDigest(digest)
	if err != nil {
		return ExportDeletion{}, err
	}
	var out ExportDeletion
	var blobs []string
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		// Locking the report row first: a hold, a message or a state
		// change cannot slip in between these checks and the deletion.
		rc, err := tx.LockRetentionCase(ctx, st.TenantID, reportID)
		if err != nil {
			return err
		}
		switch {
		case rc.Status != StateClosed || rc.ClosedAt.IsZero():
			return ErrExportNotClosed
		case rc.Held:
			return ErrExportHeld
		}
		e, err := tx.CaseExport(ctx, st.TenantID, reportID, exportID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrExportNotFound
		}
		if err != nil {
			return err
		}
		if e.CompletedAt.IsZero() || e.SHA256 == "" {
			return ErrExportIncomplete
		}
		if subtle.ConstantTimeCompare([]byte(digest), []byte(e.SHA256)) != 1 {
			return ErrExportMismatch
		}
		seq, activity, err := tx.CasePosition(ctx, st.TenantID, reportID)
		if err != nil {
			return err
		}
		if seq != e.JournalSeq || activity.After(e.ActivityAt) {
			return ErrExportStale
		}
		rec := store.DeletionRecord{DeletedAt: s.cfg.Now(), Basis: store.DeletionExport, DeletedBy: st.UserID,
			ExportID: e.ID, ExportSHA256: e.SHA256}
		out.CaseNumber = rc.CaseNumber
		blobs, out.RecordID, err = retention.Shred(ctx, tx, s.audit, rc, rec,
			caseEntry(st, audit.ActionCaseDelete, audit.ObjectCase, reportID, store.DeletionExport))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return ExportDeletion{}, ErrNotFound
	}
	if err != nil {
		return ExportDeletion{}, err
	}
	retention.DeleteBlobs(ctx, s.cfg.Blobs, slog.Default(), blobs)
	return out, nil
}
