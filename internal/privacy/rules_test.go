package privacy

import (
	"testing"
	"time"
)

func TestRiskForSeverityRuleBR4(t *testing.T) {
	for sev, want := range map[int]string{1: RiskNone, 3: RiskNone, 4: RiskSome, 7: RiskSome, 8: RiskHigh, 10: RiskHigh} {
		if got := RiskFor(sev); got != want {
			t.Errorf("RiskFor(%d) = %s, want %s", sev, got, want)
		}
	}
}

func TestNotifyDue72HoursBR2(t *testing.T) {
	aware := time.Date(2026, 3, 27, 23, 30, 0, 0, time.UTC) // across the EU summer-time change: hours, not days
	if got, want := NotifyDue(aware), time.Date(2026, 3, 30, 23, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("NotifyDue = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		after time.Duration
		late  bool
	}{
		{0, false}, {71*time.Hour + 59*time.Minute, false}, {72 * time.Hour, false},
		{72*time.Hour + time.Millisecond, true}, {100 * time.Hour, true},
	} {
		if got := NotifiedLate(aware, aware.Add(tc.after)); got != tc.late {
			t.Errorf("notified %s after awareness: late = %v, want %v", tc.after, got, tc.late)
		}
	}
}

func TestRequestDueMonthEndsDSR2(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		received, due time.Time
		loc           *time.Location
	}{
		{"31 January to 28 February", time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC), time.UTC},
		{"31 January to 29 February in a leap year", time.Date(2028, 1, 31, 10, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC), time.UTC},
		{"30 January to 28 February", time.Date(2026, 1, 30, 10, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC), time.UTC},
		{"31 March to 30 April", time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 8, 0, 0, 0, time.UTC), time.UTC},
		{"15 March to 15 April", time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC), time.Date(2026, 4, 15, 8, 0, 0, 0, time.UTC), time.UTC},
		// Local midnight 31 January in Copenhagen is 23:00 UTC on the 30th; the month is counted locally.
		{"local calendar across summer time", time.Date(2026, 3, 10, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 10, 22, 0, 0, 0, time.UTC), cph},
		{"local 31 January", time.Date(2026, 1, 30, 23, 0, 0, 0, time.UTC), time.Date(2026, 2, 27, 23, 0, 0, 0, time.UTC), cph},
	} {
		if got := RequestDue(tc.received, tc.loc); !got.Equal(tc.due) {
			t.Errorf("%s: due %s, want %s", tc.name, got.UTC(), tc.due)
		}
	}
	rec := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for months, want := range map[int]time.Time{
		1: time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC),
		2: time.Date(2026, 4, 30, 10, 0, 0, 0, time.UTC),
	} {
		if got := ExtendedDue(rec, months, time.UTC); !got.Equal(want) {
			t.Errorf("extended by %d: %s, want %s", months, got, want)
		}
	}
}

func TestExtensionOnlyWithinFirstMonthDSR2(t *testing.T) {
	rec := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		now, inf time.Time
		ok       bool
	}{
		{"at once", rec, rec, true},
		{"a minute before the month ends", due.Add(-time.Minute), due.Add(-time.Minute), true},
		{"when the month ends", due, due, false},
		{"after the month", due.Add(time.Hour), due.Add(-time.Hour), false},
		{"decided in time, requester told late", due.Add(-time.Hour), due.Add(time.Hour), false},
	} {
		if got := ExtensionAllowed(rec, tc.now, tc.inf, time.UTC); got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
