package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RawStatistics are the counts of one period straight from the clear
// columns of reports (ST-1): no id, text or sealed value is read.
type RawStatistics struct {
	// PerChannelMonth[channel][i] counts the reports received in month
	// i (0-based) of the period.
	PerChannelMonth map[string][]int
	// AckMS and FeedbackMS are, for the reports received in the period,
	// the milliseconds from receipt to acknowledgement and to feedback.
	AckMS, FeedbackMS []int64
	// Outcomes counts the cases closed in the period by outcome id.
	Outcomes map[string]int
	// Open and Closed count the reports received in the period by whether
	// they are closed now.
	Open, Closed int
}

// Statistics counts reports over the months delimited by bounds (len(bounds)
// - 1 months; bounds[0] is the start, the last bound the end, exclusive).
// Month boundaries come from the caller so that they follow the
// organisation's time zone; the SQL only compares integers.
func (db *DB) Statistics(ctx context.Context, tenantID string, bounds []time.Time) (RawStatistics, error) {
	months := len(bounds) - 1
	if months < 1 {
		return RawStatistics{}, fmt.Errorf("store: statistics: need at least two bounds")
	}
	from, to := ms(bounds[0]), ms(bounds[months])
	out := RawStatistics{PerChannelMonth: map[string][]int{}, Outcomes: map[string]int{}}

	// Reports per channel and month: a CASE over the month bounds.
	args := []any{tenantID, from, to}
	var month strings.Builder
	month.WriteString("CASE")
	for i := 1; i < months; i++ {
		args = append(args, ms(bounds[i]))
		fmt.Fprintf(&month, " WHEN received_at < $%d THEN %d", len(args), i-1)
	}
	fmt.Fprintf(&month, " ELSE %d END", months-1)
	rows, err := db.read.QueryContext(ctx, `SELECT channel_id, `+month.String()+` AS m, COUNT(*) FROM reports
		WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3 GROUP BY channel_id, m`, args...)
	if err != nil {
		return RawStatistics{}, fmt.Errorf("store: statistics per month: %w", err)
	}
	for rows.Next() {
		var ch string
		var m, n int
		if err := rows.Scan(&ch, &m, &n); err != nil {
			rows.Close()
			return RawStatistics{}, fmt.Errorf("store: scan statistics: %w", err)
		}
		if out.PerChannelMonth[ch] == nil {
			out.PerChannelMonth[ch] = make([]int, months)
		}
		out.PerChannelMonth[ch][m] += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return RawStatistics{}, err
	}

	// Durations: only differences of two clear timestamps.
	for _, d := range []struct {
		column string
		into   *[]int64
	}{{"acknowledged_at", &out.AckMS}, {"feedback_given_at", &out.FeedbackMS}} {
		rows, err := db.read.QueryContext(ctx, `SELECT `+d.column+` - received_at FROM reports
			WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3 AND `+d.column+` IS NOT NULL
			ORDER BY 1`, tenantID, from, to)
		if err != nil {
			return RawStatistics{}, fmt.Errorf("store: statistics durations: %w", err)
		}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return RawStatistics{}, fmt.Errorf("store: scan duration: %w", err)
			}
			*d.into = append(*d.into, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return RawStatistics{}, err
		}
	}

	rows, err = db.read.QueryContext(ctx, `SELECT outcome, COUNT(*) FROM reports
		WHERE tenant_id = $1 AND closed_at >= $2 AND closed_at < $3 AND outcome <> '' GROUP BY outcome`, tenantID, from, to)
	if err != nil {
		return RawStatistics{}, fmt.Errorf("store: statistics outcomes: %w", err)
	}
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			rows.Close()
			return RawStatistics{}, fmt.Errorf("store: scan outcome: %w", err)
		}
		out.Outcomes[o] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return RawStatistics{}, err
	}

	err = db.read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END), 0)
		FROM reports WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3`, tenantID, from, to).Scan(&out.Open, &out.Closed)
	if err != nil {
		return RawStatistics{}, fmt.Errorf("store: statistics open and closed: %w", err)
	}
	return out, nil
}
