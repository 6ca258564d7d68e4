package report

import (
	"context"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// ForReport wraps files that are being added to a committed report in a
// Draft, so that the intake checks and metadata stripping work on them
// exactly as on a new submission's files (same sealing, same file
// identity). Such a draft holds only the report key: it must never be
// committed or parked with Secret; its files go in with InsertFiles or
// AddFiles.
func ForReport(r store.Report, k keys.Key, files []PendingFile) (*Draft, error) {
	idBytes, err := keys.Open(k, r.FileIdentity, adFileIdentity(r.TenantID, r.ID))
	if err != nil {
		return nil, fmt.Errorf("report: open file identity: %w", err)
	}
	id, err := keys.ParseIdentity(idBytes)
	if err != nil {
		return nil, fmt.Errorf("report: parse file identity: %w", err)
	}
	return &Draft{Tenant: r.TenantID, ID: r.ID, Keys: Keys{Report: k}, fileIdentity: id, Files: files}, nil
}

// InsertFiles writes the rows of stored files and marks activity on the
// report inside tx; the caller removes the blobs if tx fails.
func InsertFiles(ctx context.Context, tx *store.Tx, tenant, reportID string, files []PendingFile, now time.Time) error {
	for i, f := range files {
		f.Row.Seq = i
		if err := tx.InsertFile(ctx, f.Row); err != nil {
			return err
		}
	}
	return tx.TouchReport(ctx, tenant, reportID, now)
}
