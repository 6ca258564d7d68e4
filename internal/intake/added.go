package intake

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
)

// Files a whistleblower adds to a report after submitting it go through
// the same metadata check as the report's first files (RC-5). From the
// status page, a batch whose files reveal something is parked the way a
// submission is: its file rows and checks sealed under the report key,
// the report key sealed again under a key derived from a token that only
// the confirmation form holds, both bound to the report. Opening it takes
// the token and the receipt session together; the database alone opens
// nothing. A parked batch that is not confirmed expires and the sweeper
// removes its blobs.

func adAddedKeys(tenant, id, reportID string) []byte {
	return keys.AD(tenant, "intake-draft", id, "added-files", reportID, "keys")
}
func adAddedBody(tenant, id, reportID string) []byte {
	return keys.AD(tenant, "intake-draft", id, "added-files", reportID, "body")
}

// addedBody is what is sealed under the report key.
type addedBody struct {
	Files  []store.File `json:"files"`
	Checks []FileCheck  `json:"checks"`
}

// AddFiles checks files just stored for the whistleblower's report. When
// none reveals anything they are committed at once and the token is "";
// otherwise they are parked and the token opens them for ConfirmAdded.
// On error the files are removed and nothing changes.
func (s *Service) AddFiles(ctx context.Context, wb *Whistleblower, files []report.PendingFile) ([]FileCheck, string, error) {
	checks, token, err := s.addFiles(ctx, wb, files)
	if err != nil {
		s.DiscardFiles(ctx, files)
	}
	return checks, token, err
}

func (s *Service) addFiles(ctx context.Context, wb *Whistleblower, files []report.PendingFile) ([]FileCheck, string, error) {
	d, err := report.ForReport(wb.Report, wb.Keys.Report, slices.Clone(files))
	if err != nil {
		return nil, "", err
	}
	checks, err := s.CheckFiles(ctx, d)
	if err != nil {
		return nil, "", err
	}
	if !NeedsConfirmation(checks) {
		return checks, "", s.insertAdded(ctx, wb, files, nil)
	}
	token, err := s.parkAdded(ctx, wb, files, checks)
	return checks, token, err
}

func (s *Service) parkAdded(ctx context.Context, wb *Whistleblower, files []report.PendingFile, checks []FileCheck) (string, error) {
	tenant, reportID := wb.Report.TenantID, wb.Report.ID
	token := keys.NewSessionToken()
	id, err := keys.SessionID(token)
	if err != nil {
		return "", err
	}
	k, err := draftKey(token)
	if err != nil {
		return "", err
	}
	b := addedBody{Checks: checks}
	for _, f := range files {
		b.Files = append(b.Files, f.Row)
	}
	body, err := jsonBytes(b)
	if err != nil {
		return "", err
	}
	now := s.cfg.Now()
	row := store.IntakeDraft{TenantID: tenant, ID: id,
		SealedKeys: keys.Seal(k, wb.Keys.Report[:], adAddedKeys(tenant, id, reportID)),
		SealedBody: keys.Seal(wb.Keys.Report, body, adAddedBody(tenant, id, reportID)),
		CreatedAt:  now, ExpiresAt: now.Add(DraftLifetime)}
	for _, f := range files {
		row.Blobs = append(row.Blobs, f.Row.BlobKey)
	}
	if err := s.cfg.DB.InsertIntakeDraft(ctx, row); err != nil {
		return "", err
	}
	return token, nil
}

// openAdded opens a parked batch of wb's report; ErrNoDraft for any
// token that does not open one (another report's, a submission's,
// tampered with, expired, used or cancelled).
func (s *Service) openAdded(ctx context.Context, wb *Whistleblower, token string) (string, *report.Draft, []FileCheck, error) {
	tenant, reportID := wb.Report.TenantID, wb.Report.ID
	id, err := keys.SessionID(token)
	if err != nil {
		return "", nil, nil, ErrNoDraft
	}
	k, err := draftKey(token)
	if err != nil {
		return "", nil, nil, ErrNoDraft
	}
	row, err := s.cfg.DB.IntakeDraft(ctx, tenant, id, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil, ErrNoDraft
	}
	if err != nil {
		return "", nil, nil, err
	}
	rk, err := keys.Open(k, row.SealedKeys, adAddedKeys(tenant, id, reportID))
	if err != nil || subtle.ConstantTimeCompare(rk, wb.Keys.Report[:]) != 1 {
		return "", nil, nil, ErrNoDraft
	}
	var body addedBody
	if err := report.OpenJSON(wb.Keys.Report, row.SealedBody, adAddedBody(tenant, id, reportID), &body); err != nil {
		return "", nil, nil, fmt.Errorf("intake: open added files: %w", err)
	}
	if len(body.Checks) != len(body.Files) {
		return "", nil, nil, fmt.Errorf("intake: added files are inconsistent")
	}
	files := make([]report.PendingFile, len(body.Files))
	for i, f := range body.Files {
		if f.ReportID != reportID || f.TenantID != tenant {
			return "", nil, nil, fmt.Errorf("intake: added files belong to another report")
		}
		files[i] = report.PendingFile{Row: f}
	}
	d, err := report.ForReport(wb.Report, wb.Keys.Report, files)
	if err != nil {
		return "", nil, nil, err
	}
	return id, d, body.Checks, nil
}

// AddedChecks returns what the files of a parked batch reveal, to show
// the confirmation page again.
func (s *Service) AddedChecks(ctx context.Context, wb *Whistleblower, token string) ([]FileCheck, error) {
	_, _, checks, err := s.openAdded(ctx, wb, token)
	return checks, err
}

// ConfirmAdded applies the whistleblower's choices to a parked batch (as
// Confirm does) and adds the files to the report; it returns how many
// were added. The parked row is deleted in the same transaction, so a
// batch is added at most once; on any error it stays as it was.
func (s *Service) ConfirmAdded(ctx context.Context, wb *Whistleblower, token string, choices map[int]string) (int, error) {
	id, d, checks, err := s.openAdded(ctx, wb, token)
	if err != nil {
		return 0, err
	}
	keep, created, superseded, err := s.applyChoices(ctx, d, checks, choices)
	if err == nil {
		err = s.insertAdded(ctx, wb, keep, func(tx *store.Tx) error { return deleteDraft(ctx, tx, wb.Report.TenantID, id) })
	}
	if err != nil {
		s.deleteBlobs(ctx, created)
		return 0, err
	}
	s.deleteBlobs(ctx, superseded)
	return len(keep), nil
}

// CancelAdded discards a parked batch: its row and its files.
func (s *Service) CancelAdded(ctx context.Context, wb *Whistleblower, token string) error {
	id, d, _, err := s.openAdded(ctx, wb, token)
	if err != nil {
		return err
	}
	if err := s.cfg.DB.InTx(ctx, func(tx *store.Tx) error { return deleteDraft(ctx, tx, wb.Report.TenantID, id) }); err != nil {
		return err
	}
	s.Abandon(ctx, d)
	return nil
}

// AddStripped is AddFiles for API clients, without a confirmation step:
// unless keepOriginals, every file that reveals something is stripped,
// and one that cannot be cleaned refuses the whole batch with a
// *StripError naming it. With keepOriginals they are stored as they came,
// marked as kept by choice. It returns how many files were added; on any
// error the files are removed and nothing changes.
func (s *Service) AddStripped(ctx context.Context, wb *Whistleblower, files []report.PendingFile, keepOriginals bool) (int, error) {
	d, err := report.ForReport(wb.Report, wb.Keys.Report, slices.Clone(files))
	if err != nil {
		s.DiscardFiles(ctx, files)
		return 0, err
	}
	// The originals go whatever happens: they are superseded by cleaned
	// copies, committed as they are (and then still referenced), or
	// refused. Only unreferenced ones are deleted below.
	n, err := s.addStripped(ctx, wb, d, keepOriginals)
	if err != nil {
		s.Abandon(ctx, d) // the cleaned copies
		s.DiscardFiles(ctx, files)
		return 0, err
	}
	var stale []string
	for i, f := range files {
		if d.Files[i].Row.BlobKey != f.Row.BlobKey {
			stale = append(stale, f.Row.BlobKey)
		}
	}
	s.deleteBlobs(ctx, stale)
	return n, nil
}

func (s *Service) addStripped(ctx context.Context, wb *Whistleblower, d *report.Draft, keepOriginals bool) (int, error) {
	checks, err := s.CheckFiles(ctx, d)
	if err != nil {
		return 0, err
	}
	if !keepOriginals {
		// Refuse before any work when a file cannot be cleaned.
		for _, c := range checks {
			if c.Reveals() && !c.Cleanable {
				return 0, &StripError{Index: c.Index, Err: scrub.ErrUnsupported}
			}
		}
	}
	keep, _, _, err := s.applyChoices(ctx, d, checks, uniformChoices(checks, keepOriginals))
	if err != nil {
		return 0, err
	}
	return len(keep), s.insertAdded(ctx, wb, keep, nil)
}

// insertAdded commits files to wb's report; inTx, if set, runs in the
// same transaction.
func (s *Service) insertAdded(ctx context.Context, wb *Whistleblower, files []report.PendingFile, inTx func(*store.Tx) error) error {
	return s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if inTx != nil {
			if err := inTx(tx); err != nil {
				return err
			}
		}
		if len(files) == 0 {
			return nil // every file was left out: nothing happened to the report
		}
		return report.InsertFiles(ctx, tx, wb.Report.TenantID, wb.Report.ID, files, s.cfg.Now())
	})
}

func deleteDraft(ctx context.Context, tx *store.Tx, tenant, id string) error {
	err := tx.DeleteIntakeDraft(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoDraft // confirmed or cancelled twice at once: the other request won
	}
	return err
}

func (s *Service) deleteBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		s.cfg.Blobs.Delete(context.WithoutCancel(ctx), k)
	}
}
