// Package deadline computes the statutory deadlines of a case under EU
// Directive 2019/1937 art. 9(1)(b) and (f), as carried into the Danish
// whistleblowerloven § 11 and the Norwegian arbeidsmiljøloven chapter 2 A:
//
//   - CW-2: acknowledge receipt of a report within seven days.
//   - CW-3: give feedback within three months of the acknowledgement.
//   - CW-4: without an acknowledgement, within three months of the end of
//     the seven-day period after the report was received.
//
// Deadlines are calendar periods in the organisation's time zone: a day is
// a calendar day (23 or 25 hours across a daylight-saving change), and a
// month ends on the same day of the month, or on the last day of a shorter
// month (31 January + 1 month = 28/29 February, never 3 March). The package
// is pure: it reads no clock and does no I/O.
package deadline

import (
	"fmt"
	"time"
	_ "time/tzdata" // the static release binary may run where /usr/share/zoneinfo is missing
)

// Statutory defaults of art. 9(1)(b) and (f).
const (
	DefaultAckDays        = 7
	DefaultFeedbackMonths = 3
)

// Status values returned by Status.
const (
	StatusOK      = "ok"
	StatusDueSoon = "due_soon"
	StatusOverdue = "overdue"
)

// Policy holds the periods of one channel and the organisation's time zone.
// Zero fields take the defaults: 7 days, 3 months, UTC.
type Policy struct {
	AckDays        int
	FeedbackMonths int
	Location       *time.Location
}

func (p Policy) norm() Policy {
	if p.AckDays <= 0 {
		p.AckDays = DefaultAckDays
	}
	if p.FeedbackMonths <= 0 {
		p.FeedbackMonths = DefaultFeedbackMonths
	}
	if p.Location == nil {
		p.Location = time.UTC
	}
	return p
}

// LoadLocation loads an IANA time zone such as "Europe/Copenhagen" from the
// system or, failing that, from the copy embedded in the binary. The empty
// name is UTC.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("deadline: time zone %q: %w", name, err)
	}
	return loc, nil
}

// AckDue is when the acknowledgement of a report received at received is
// due (CW-2): AckDays calendar days later at the same local wall-clock time.
func (p Policy) AckDue(received time.Time) time.Time {
	p = p.norm()
	return addDays(received, p.AckDays, p.Location)
}

// FeedbackDue is when feedback is due (CW-3, CW-4): FeedbackMonths calendar
// months after the acknowledgement, or, when none was sent, after the end
// of the acknowledgement period (AckDue(received)).
func (p Policy) FeedbackDue(received time.Time, acknowledged *time.Time) time.Time {
	p = p.norm()
	from := addDays(received, p.AckDays, p.Location)
	if acknowledged != nil && !acknowledged.IsZero() {
		from = *acknowledged
	}
	return AddMonths(from, p.FeedbackMonths, p.Location)
}

// Extend moves a deadline by days calendar days in the policy's time zone,
// keeping the local wall-clock time.
func (p Policy) Extend(due time.Time, days int) time.Time {
	p = p.norm()
	return addDays(due, days, p.Location)
}

// AddMonths adds months calendar months to t in loc (nil = UTC), clamping
// the day to the end of a shorter month: 31 January + 3 months = 30 April,
// 30 November + 3 months = 28 February (29 in a leap year). The local
// wall-clock time is kept. The result is in t's original location.
func AddMonths(t time.Time, months int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	y, m, d := l.Date()
	// Normalise the target month first, on day 1, where no overflow can occur.
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, loc)
	ty, tm, _ := first.Date()
	if last := daysIn(ty, tm); d > last {
		d = last
	}
	hh, mm, ss := l.Clock()
	return time.Date(ty, tm, d, hh, mm, ss, l.Nanosecond(), loc).In(t.Location())
}

// addDays adds calendar days in loc, keeping the local wall-clock time. A
// wall-clock time that does not exist on the target day (inside a spring
// daylight-saving gap) is moved by the gap, as time.Date does.
func addDays(t time.Time, days int, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	hh, mm, ss := l.Clock()
	return time.Date(y, m, d+days, hh, mm, ss, l.Nanosecond(), loc).In(t.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// Status says where now stands against due: StatusOverdue from the due
// instant on, StatusDueSoon within warnBefore of it, StatusOK before that.
func Status(due, now time.Time, warnBefore time.Duration) string {
	switch {
	case !now.Before(due):
		return StatusOverdue
	case due.Sub(now) <= warnBefore:
		return StatusDueSoon
	default:
		return StatusOK
	}
}
