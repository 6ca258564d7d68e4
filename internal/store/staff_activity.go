package store

import (
	"context"
	"fmt"
	"time"
)

// StaffLastActivity returns, per staff user id, when the user last did
// something the audit log records (a login, a read, a change). The
// quarterly access review shows it so that a reviewer sees dormant
// accounts; the audit log is the only record of use that is kept
// (sessions are deleted when they expire).
func (db *DB) StaffLastActivity(ctx context.Context, tenant string) (map[string]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT actor_id, MAX(at) FROM audit_log
		WHERE tenant_id = $1 AND actor_type = 'staff' GROUP BY actor_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("store: staff last activity: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("store: staff last activity: %w", err)
		}
		out[id] = fromMS(at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: staff last activity: %w", err)
	}
	return out, nil
}
