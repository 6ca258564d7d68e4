package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DN-1: due 10 calendar days after registration in the organisation's
// time zone, never later than one month; due on day 10, overdue on day 11.
func TestNotificationDueAndStatus(t *testing.T) {
	cph, err := deadline.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	reg := time.Date(2026, 3, 25, 23, 30, 0, 0, cph) // across the spring DST change
	due := cases.NotificationDue(reg, cases.NotifyDays, cph)
	if want := time.Date(2026, 4, 4, 23, 30, 0, 0, cph); !due.Equal(want) {
		t.Fatalf("due %v, want %v", due, want)
	}
	if got := cases.NotificationDue(reg, 0, cph); !got.Equal(due) {
		t.Fatalf("default period: %v", got)
	}
	// A period longer than a month is clamped: 31 January + 1 month = 28 February.
	jan := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	if got := cases.NotificationDue(jan, 40, time.UTC); !got.Equal(time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("clamped due %v", got)
	}
	reg = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due = cases.NotificationDue(reg, cases.NotifyDays, time.UTC)
	for _, tc := range []struct {
		day  int
		hour int
		want string
	}{{0, 9, cases.NotifyOK}, {6, 9, cases.NotifyOK}, {7, 0, cases.NotifyDueSoon}, {9, 23, cases.NotifyDueSoon},
		{10, 0, cases.NotifyDue}, {10, 23, cases.NotifyDue}, {11, 0, cases.NotifyOverdue}, {40, 0, cases.NotifyOverdue}} {
		now := time.Date(2026, 3, 2+tc.day, tc.hour, 0, 0, 0, time.UTC)
		if got := cases.NotificationStatus(due, now, time.UTC); got != tc.want {
			t.Errorf("day %d %02d:00: %s, want %s", tc.day, tc.hour, got, tc.want)
		}
	}
}

func TestPseudonyms(t *testing.T) {
	for n, want := range map[int]string{1: "Person A", 2: "Person B", 26: "Person Z", 27: "Person AA", 52: "Person AZ", 53: "Person BA", 703: "Person AAA"} {
		if got := cases.Pseudonym(n); got != want {
			t.Errorf("Pseudonym(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNoticeTextFillsOnlyOrganisationAndCategories(t *testing.T) {
	if strings.Count(cases.NoticeTemplate, "{{") != strings.Count(cases.NoticeTemplate, "{{organisation}}")+strings.Count(cases.NoticeTemplate, "{{categories}}") {
		t.Fatal("the template has a placeholder other than the organisation and the categories")
	}
	for _, role := range cases.PersonRoles {
		txt := cases.NoticeText("Acme A/S", role)
		if strings.Contains(txt, "{{") || !strings.Contains(txt, "Acme A/S") || !strings.Contains(txt, "article 14") {
			t.Fatalf("%s: %q", role, txt)
		}
	}
}

// DN-2 and CA-4 through the service: deferral rules, notices at closure for
// the not-yet-notified only, names sealed.
func TestPersonsNoticesAtClosure(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", "general")
		id, _ := e.submit(t, "bribes")
		outsider := e.staff(t, "o@example.org")

		a, err := e.cases.AddPerson(ctx, h, id, cases.RoleReportedPerson, cases.PersonDetails{Name: "Quirinus Plomb"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.cases.AddPerson(ctx, h, id, cases.RoleWitness, cases.PersonDetails{Name: "Wilhelmina Strand"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.AddPerson(ctx, h, id, "boss", cases.PersonDetails{Name: "x"}); !errors.Is(err, cases.ErrInvalidPerson) {
			t.Fatalf("unknown role: %v", err)
		}
		if _, err := e.cases.Persons(ctx, outsider, id); !errors.Is(err, cases.ErrNotFound) {
			t.Fatalf("outsider: %v", err)
		}
		if _, err := e.cases.DeferNotification(ctx, h, id, a.ID, cases.Deferral{LegalBasis: "GDPR art. 14(5)(b)", ReviewOn: "2026-05-01"}); !errors.Is(err, cases.ErrInvalidDeferral) {
			t.Fatalf("deferral without a reason: %v", err)
		}
		if _, err := e.cases.DeferNotification(ctx, h, id, a.ID, cases.Deferral{Reason: "r", LegalBasis: "GDPR art. 14(5)(b)"}); !errors.Is(err, cases.ErrInvalidDeferral) {
			t.Fatalf("deferral without a review date: %v", err)
		}
		if _, err := e.cases.MarkNotified(ctx, h, id, b.ID, "2026-03-02", "letter"); err != nil {
			t.Fatal(err)
		}
		for _, step := range []cases.Transition{{To: cases.StateScreening},
			{To: cases.StateClosed, Outcome: "unfounded", Reason: "no basis", Message: "Closed."}} {
			if err := e.cases.ChangeState(ctx, h, id, step); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := e.cases.Persons(ctx, h, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].Notification.State != cases.NoticeGenerated || ps[1].Notification.State != cases.NoticeNotified {
			t.Fatalf("after closure: %+v", ps)
		}
		for _, p := range ps {
			if p.Details != nil {
				t.Fatal("a list carries details")
			}
		}
		one, err := e.cases.Person(ctx, h, id, b.ID)
		if err != nil || one.Notification.Notice != "" || one.Details.Name != "Wilhelmina Strand" {
			t.Fatalf("notified person: %+v %v", one, err)
		}
		var found bool
		db.EachStoredValue(ctx, func(_ string, v []byte) {
			found = found || strings.Contains(string(v), "Quirinus") || strings.Contains(string(v), "Wilhelmina")
		})
		if found {
			t.Fatal("a name is stored in clear")
		}
	})
}
