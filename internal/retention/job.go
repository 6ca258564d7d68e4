package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/store"
)

const (
	// LeaseJob is the job_leases name of the deletion job.
	LeaseJob = "retention"
	// DefaultLeaseTTL is how long a lease lasts; it is renewed per case.
	DefaultLeaseTTL = 10 * time.Minute
	// ActorID names the job in the audit log.
	ActorID = "retention"
)

// Job deletes the closed cases whose retention has expired under a
// confirmed policy and that are not on legal hold. Several nodes may run
// it: a lease in the database lets one work at a time.
//
// Each case goes in one transaction: the wrapped keys first
// (crypto-shredding: once they are gone the rest is unreadable), then its
// rows, plus a deletion record and an audit entry; after commit its blobs
// are deleted. A crash before commit changes nothing and the next run
// starts over; a crash after commit leaves only ciphertext blobs without a
// key and without a row, which the orphan sweeper removes.
type Job struct {
	DB       *store.DB
	Blobs    blob.Store
	Now      func() time.Time // default time.Now
	Holder   string           // lease holder; default a random id per Job
	LeaseTTL time.Duration    // default DefaultLeaseTTL
	Logger   *slog.Logger     // default slog.Default()

	once  sync.Once
	audit *audit.Log
}

// Result says what one run did.
type Result struct {
	Busy    bool     // another holder had the lease; nothing was done
	Deleted []string // report ids of the deleted cases
}

func (j *Job) init() {
	j.once.Do(func() {
		if j.Now == nil {
			j.Now = time.Now
		}
		if j.Holder == "" {
			j.Holder = store.NewID()
		}
		if j.LeaseTTL <= 0 {
			j.LeaseTTL = DefaultLeaseTTL
		}
		if j.Logger == nil {
			j.Logger = slog.Default()
		}
		j.audit = audit.New(j.DB, j.Now)
	})
}

// Run deletes the expired cases of one tenant.
func (j *Job) Run(ctx context.Context, tenantID string) (Result, error) {
	j.init()
	var res Result
	now := j.Now()
	ok, err := j.DB.AcquireLease(ctx, tenantID, LeaseJob, j.Holder, now, j.LeaseTTL)
	if err != nil {
		return res, err
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer func() {
		if err := j.DB.ReleaseLease(context.WithoutCancel(ctx), tenantID, LeaseJob, j.Holder); err != nil {
			j.Logger.Warn("releasing the retention lease failed; it expires by itself", "error", err)
		}
	}()
	byKey, _, err := policies(ctx, j.DB, tenantID)
	if err != nil {
		return res, err
	}
	cs, err := j.DB.RetentionCases(ctx, tenantID, now.Add(-minPolicy), "")
	if err != nil {
		return res, err
	}
	for i, c := range cs {
		p := byKey[[2]string{c.ChannelID, CategoryReport}]
		if !p.Confirmed {
			continue
		}
		if exp := Expiry(c, p.Months); exp.IsZero() || now.Before(exp) {
			continue
		}
		if i > 0 {
			// A long run keeps its lease, or stops if it lost it.
			if ok, err := j.DB.AcquireLease(ctx, tenantID, LeaseJob, j.Holder, j.Now(), j.LeaseTTL); err != nil || !ok {
				return res, errors.Join(err, errors.New("retention: lease lost"))
			}
		}
		deleted, err := j.deleteCase(ctx, tenantID, c.ReportID, p, now)
		if err != nil {
			return res, err
		}
		if deleted {
			res.Deleted = append(res.Deleted, c.ReportID)
		}
	}
	return res, nil
}

// deleteCase rechecks and deletes one case. It reports false when the case
// no longer qualifies (gone, reopened, held, or active meanwhile).
func (j *Job) deleteCase(ctx context.Context, tenantID, reportID string, p Policy, now time.Time) (bool, error) {
	var blobs []string
	err := j.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.LockRetentionCase(ctx, tenantID, reportID)
		if err != nil {
			return err
		}
		if exp := Expiry(c, p.Months); exp.IsZero() || now.Before(exp) {
			return errSkip
		}
		blobs, _, err = Shred(ctx, tx, j.audit, c, store.DeletionRecord{DeletedAt: now, Basis: store.DeletionRetention,
			PolicyChannelID: p.ChannelID, PolicyCategory: p.Category, PolicyMonths: p.Months,
			PolicyConfirmedAt: derefTime(p.ConfirmedAt)},
			audit.Entry{TenantID: tenantID, ActorType: audit.ActorSystem, ActorID: ActorID,
				Action: audit.ActionRetentionDelete, ObjectType: audit.ObjectCase, ObjectID: reportID, Detail: CategoryReport})
		return err
	})
	if errors.Is(err, errSkip) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("retention: delete case: %w", err)
	}
	DeleteBlobs(ctx, j.Blobs, j.Logger, blobs)
	return true, nil
}

// Shred deletes one case inside tx, locked by tx.LockRetentionCase into c:
// the wrapped keys first (crypto-shredding: once they are gone the rest
// is unreadable), then the case's rows, then a deletion record (rec, with
// category, case number, channel and closure filled in from c; no
// content) and the audit entry e, all in tx. It returns the blob keys,
// which the caller deletes with DeleteBlobs after commit, and the id of
// the deletion record. The retention
// job and the deletion after a confirmed export (internal/cases) both
// delete this way.
func Shred(ctx context.Context, tx *store.Tx, log *audit.Log, c store.RetentionCase, rec store.DeletionRecord,
	e audit.Entry) ([]string, string, error) {
	blobs, err := tx.DeleteReport(ctx, c.TenantID, c.ReportID)
	if err != nil {
		return nil, "", err
	}
	rec.TenantID, rec.ID, rec.Category = c.TenantID, store.NewID(), CategoryReport
	rec.CaseNumber, rec.ChannelID, rec.ClosedAt = c.CaseNumber, c.ChannelID, c.ClosedAt
	if err := tx.InsertDeletionRecord(ctx, rec); err != nil {
		return nil, "", err
	}
	if _, err := log.RecordTx(ctx, tx, e); err != nil {
		return nil, "", err
	}
	return blobs, rec.ID, nil
}

// DeleteBlobs deletes the blobs of a shredded case after commit. A
// failure is logged, not returned: the blob is ciphertext whose key is
// gone, and the orphan sweeper removes it later.
func DeleteBlobs(ctx context.Context, blobs blob.Store, logger *slog.Logger, keys []string) {
	for _, k := range keys {
		if err := blobs.Delete(ctx, k); err != nil {
			logger.Warn("deleting a blob of a deleted case failed; the sweeper removes it", "error", err)
		}
	}
}

var errSkip = errors.New("retention: case no longer qualifies")

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
