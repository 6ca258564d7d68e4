package store

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease on job for holder until now+ttl, so
// that of several nodes running the same periodic job only one works at a
// time. It succeeds (true) when no lease exists, when the current one has
// expired, or when holder already holds it (a renewal); otherwise another
// holder has it and it returns false.
//
// The WHERE on DO UPDATE (PostgreSQL 9.5+, SQLite 3.24+) leaves a live lease
// of another holder untouched, so the statement then affects no row. On
// PostgreSQL concurrent inserts of the same key serialise on the primary
// key; on SQLite there is one writer, so exactly one contender wins.
func (db *DB) AcquireLease(ctx context.Context, tenantID, job, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if holder == "" || ttl <= 0 {
		return false, fmt.Errorf("store: acquire lease %q: empty holder or non-positive ttl", job)
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO job_leases (tenant_id, job, holder, expires_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE job_leases.expires_at <= $5 OR job_leases.holder = excluded.holder`,
		tenantID, job, holder, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %q: %w", job, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %q: %w", job, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up holder's lease on job so another node need not wait
// for it to expire. Releasing a lease one does not hold changes nothing.
func (db *DB) ReleaseLease(ctx context.Context, tenantID, job, holder string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM job_leases WHERE tenant_id = $1 AND job = $2 AND holder = $3`,
		tenantID, job, holder)
	if err != nil {
		return fmt.Errorf("store: release lease %q: %w", job, err)
	}
	return nil
}
