package deadline

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, loc)
}

func TestCW2AckDueSevenCalendarDays(t *testing.T) {
	cph := mustLoad(t, "Europe/Copenhagen")
	osl := mustLoad(t, "Europe/Oslo")
	tests := []struct {
		name     string
		loc      *time.Location
		days     int
		received time.Time
		want     time.Time
		elapsed  time.Duration // real time between received and due
	}{
		{"CW-2 UTC plain week", nil, 0, at(time.UTC, 2026, 3, 2, 9, 15), at(time.UTC, 2026, 3, 9, 9, 15), 7 * 24 * time.Hour},
		{"CW-2 over month end", nil, 0, at(time.UTC, 2026, 1, 28, 12, 0), at(time.UTC, 2026, 2, 4, 12, 0), 7 * 24 * time.Hour},
		{"CW-2 over year end", nil, 0, at(time.UTC, 2026, 12, 29, 23, 59), at(time.UTC, 2027, 1, 5, 23, 59), 7 * 24 * time.Hour},
		{"CW-2 over leap day 2028", nil, 0, at(time.UTC, 2028, 2, 25, 8, 0), at(time.UTC, 2028, 3, 3, 8, 0), 7 * 24 * time.Hour},
		{"CW-2 2100 is not leap", nil, 0, at(time.UTC, 2100, 2, 25, 8, 0), at(time.UTC, 2100, 3, 4, 8, 0), 7 * 24 * time.Hour},
		// Spring forward 29 March 2026 02:00 → 03:00: the week is 167 hours.
		{"CW-2 Copenhagen spring DST", cph, 0, at(cph, 2026, 3, 25, 12, 0), at(cph, 2026, 4, 1, 12, 0), 7*24*time.Hour - time.Hour},
		// Fall back 25 October 2026 03:00 → 02:00: the week is 169 hours.
		{"CW-2 Copenhagen autumn DST", cph, 0, at(cph, 2026, 10, 22, 12, 0), at(cph, 2026, 10, 29, 12, 0), 7*24*time.Hour + time.Hour},
		{"CW-2 Oslo spring DST", osl, 0, at(osl, 2027, 3, 24, 16, 30), at(osl, 2027, 3, 31, 16, 30), 7*24*time.Hour - time.Hour},
		{"CW-2 Oslo autumn DST", osl, 0, at(osl, 2027, 10, 28, 7, 0), at(osl, 2027, 11, 4, 7, 0), 7*24*time.Hour + time.Hour},
		// Received late on 31 January UTC is already 1 February in Copenhagen.
		{"CW-2 local date not UTC date", cph, 0, at(time.UTC, 2026, 1, 31, 23, 30), at(cph, 2026, 2, 8, 0, 30), 7 * 24 * time.Hour},
		{"CW-2 shorter channel period", nil, 5, at(time.UTC, 2026, 3, 2, 9, 0), at(time.UTC, 2026, 3, 7, 9, 0), 5 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Policy{AckDays: tt.days, Location: tt.loc}.AckDue(tt.received)
			if !got.Equal(tt.want) {
				t.Fatalf("AckDue(%v) = %v, want %v", tt.received, got, tt.want)
			}
			if d := got.Sub(tt.received); d != tt.elapsed {
				t.Fatalf("elapsed %v, want %v", d, tt.elapsed)
			}
		})
	}
}

func TestCW3FeedbackDueMonthsFromAcknowledgement(t *testing.T) {
	cph := mustLoad(t, "Europe/Copenhagen")
	osl := mustLoad(t, "Europe/Oslo")
	received := at(time.UTC, 2025, 12, 1, 10, 0) // irrelevant once acknowledged
	tests := []struct {
		name   string
		loc    *time.Location
		months int
		ack    time.Time
		want   time.Time
	}{
		{"CW-3 31 Jan + 3 = 30 Apr", nil, 0, at(time.UTC, 2026, 1, 31, 10, 0), at(time.UTC, 2026, 4, 30, 10, 0)},
		{"CW-3 30 Nov + 3 = 28 Feb", nil, 0, at(time.UTC, 2026, 11, 30, 10, 0), at(time.UTC, 2027, 2, 28, 10, 0)},
		{"CW-3 30 Nov + 3 = 29 Feb 2028 leap", nil, 0, at(time.UTC, 2027, 11, 30, 10, 0), at(time.UTC, 2028, 2, 29, 10, 0)},
		{"CW-3 30 Nov + 3 = 28 Feb 2100 not leap", nil, 0, at(time.UTC, 2099, 11, 30, 10, 0), at(time.UTC, 2100, 2, 28, 10, 0)},
		{"CW-3 29 Feb 2028 + 12 = 28 Feb 2029", nil, 12, at(time.UTC, 2028, 2, 29, 10, 0), at(time.UTC, 2029, 2, 28, 10, 0)},
		{"CW-3 31 Aug + 1 = 30 Sep", nil, 1, at(time.UTC, 2026, 8, 31, 10, 0), at(time.UTC, 2026, 9, 30, 10, 0)},
		{"CW-3 31 Dec + 2 = 29 Feb 2028", nil, 2, at(time.UTC, 2027, 12, 31, 10, 0), at(time.UTC, 2028, 2, 29, 10, 0)},
		{"CW-3 15 Dec + 3 over year end", nil, 0, at(time.UTC, 2026, 12, 15, 10, 0), at(time.UTC, 2027, 3, 15, 10, 0)},
		{"CW-3 31 Mar + 3 = 30 Jun", nil, 0, at(time.UTC, 2026, 3, 31, 10, 0), at(time.UTC, 2026, 6, 30, 10, 0)},
		{"CW-3 Copenhagen winter to summer time", cph, 0, at(cph, 2026, 1, 12, 9, 0), at(cph, 2026, 4, 12, 9, 0)},
		{"CW-3 Oslo summer to winter time", osl, 0, at(osl, 2026, 8, 31, 15, 0), at(osl, 2026, 11, 30, 15, 0)},
		// 00:30 on 31 January in Copenhagen is 30 January 23:30 UTC: the
		// month end is the local one.
		{"CW-3 local month end", cph, 0, at(time.UTC, 2026, 1, 30, 23, 30), at(cph, 2026, 4, 30, 0, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack := tt.ack
			got := Policy{FeedbackMonths: tt.months, Location: tt.loc}.FeedbackDue(received, &ack)
			if !got.Equal(tt.want) {
				t.Fatalf("FeedbackDue(ack %v) = %v, want %v", tt.ack, got, tt.want)
			}
		})
	}
}

func TestCW4FeedbackDueWithoutAcknowledgement(t *testing.T) {
	cph := mustLoad(t, "Europe/Copenhagen")
	tests := []struct {
		name     string
		p        Policy
		received time.Time
		want     time.Time
	}{
		// 24 Jan + 7 days = 31 Jan, + 3 months = 30 Apr.
		{"CW-4 7 days then clamped months", Policy{}, at(time.UTC, 2026, 1, 24, 12, 0), at(time.UTC, 2026, 4, 30, 12, 0)},
		// 23 Nov 2027 + 7 = 30 Nov, + 3 months = 29 Feb 2028.
		{"CW-4 into leap February", Policy{}, at(time.UTC, 2027, 11, 23, 12, 0), at(time.UTC, 2028, 2, 29, 12, 0)},
		// 22 Mar 2026 + 7 = 29 Mar (DST day) 12:00 CEST, + 3 months = 29 Jun 12:00.
		{"CW-4 Copenhagen over DST", Policy{Location: cph}, at(cph, 2026, 3, 22, 12, 0), at(cph, 2026, 6, 29, 12, 0)},
		{"CW-4 nil acknowledgement pointer only", Policy{AckDays: 7, FeedbackMonths: 3}, at(time.UTC, 2026, 5, 1, 0, 0), at(time.UTC, 2026, 8, 8, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.FeedbackDue(tt.received, nil); !got.Equal(tt.want) {
				t.Fatalf("FeedbackDue(%v, nil) = %v, want %v", tt.received, got, tt.want)
			}
			var zero time.Time
			if got := tt.p.FeedbackDue(tt.received, &zero); !got.Equal(tt.want) {
				t.Fatalf("zero acknowledgement: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAddMonthsDoesNotNormaliseLikeAddDate(t *testing.T) {
	jan31 := at(time.UTC, 2026, 1, 31, 12, 0)
	if got := jan31.AddDate(0, 1, 0); got.Month() != time.March {
		t.Fatalf("premise: AddDate gave %v", got)
	}
	if got := AddMonths(jan31, 1, nil); !got.Equal(at(time.UTC, 2026, 2, 28, 12, 0)) {
		t.Fatalf("AddMonths = %v", got)
	}
	if got := AddMonths(at(time.UTC, 2026, 3, 31, 12, 0), -1, nil); !got.Equal(at(time.UTC, 2026, 2, 28, 12, 0)) {
		t.Fatalf("AddMonths -1 = %v", got)
	}
	// The result stays in the caller's location.
	cph := mustLoad(t, "Europe/Copenhagen")
	if got := AddMonths(jan31, 1, cph); got.Location() != time.UTC {
		t.Fatalf("location %v", got.Location())
	}
}

func TestExtend(t *testing.T) {
	cph := mustLoad(t, "Europe/Copenhagen")
	p := Policy{Location: cph}
	due := at(cph, 2026, 10, 20, 12, 0)
	got := p.Extend(due, 14)
	if want := at(cph, 2026, 11, 3, 12, 0); !got.Equal(want) {
		t.Fatalf("Extend = %v, want %v", got, want)
	}
	if got.Sub(due) != 14*24*time.Hour+time.Hour {
		t.Fatalf("extension over autumn DST is %v", got.Sub(due))
	}
	if got := p.Extend(due, 0); !got.Equal(due) {
		t.Fatalf("Extend 0 = %v", got)
	}
}

func TestStatus(t *testing.T) {
	due := at(time.UTC, 2026, 3, 9, 12, 0)
	warn := 48 * time.Hour
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"CW-2 well before", due.Add(-72 * time.Hour), StatusOK},
		{"CW-2 just outside warning", due.Add(-warn - time.Millisecond), StatusOK},
		{"CW-2 warning starts", due.Add(-warn), StatusDueSoon},
		{"CW-2 one second left", due.Add(-time.Second), StatusDueSoon},
		{"CW-2 at the deadline", due, StatusOverdue},
		{"CW-2 after", due.Add(time.Hour), StatusOverdue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(due, tt.now, warn); got != tt.want {
				t.Fatalf("Status at %v = %q, want %q", tt.now, got, tt.want)
			}
		})
	}
	if got := Status(due, due.Add(-time.Hour), 0); got != StatusOK {
		t.Fatalf("no warning window: %q", got)
	}
}

func TestDefaults(t *testing.T) {
	var p Policy
	r := at(time.UTC, 2026, 3, 2, 9, 0)
	if got := p.AckDue(r); !got.Equal(r.AddDate(0, 0, 7)) {
		t.Fatalf("default AckDue %v", got)
	}
	if got := p.FeedbackDue(r, nil); !got.Equal(at(time.UTC, 2026, 6, 9, 9, 0)) {
		t.Fatalf("default FeedbackDue %v", got)
	}
	if loc, err := LoadLocation(""); err != nil || loc != time.UTC {
		t.Fatalf("LoadLocation empty: %v %v", loc, err)
	}
	if _, err := LoadLocation("Mars/Olympus"); err == nil {
		t.Fatal("unknown zone accepted")
	}
}
