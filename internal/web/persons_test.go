package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

type personResp struct {
	ID, Pseudonym, Role string
	Notification        struct {
		State, Status, Method, Reason, Notice string
		NotifiedOn                            string `json:"notified_on"`
		ReviewOn                              string `json:"review_on"`
		LegalBasis                            string `json:"legal_basis"`
	}
	Details *struct{ Name, Contact string }
}

// planted names: they must never show in a list, the journal, the inbox
// or the stored bytes.
const (
	plantedReported = "Zbigniew Quastelmann"
	plantedWitness  = "Hyacinth Oddleworth"
	plantedThird    = "Ermintrude Vaskebjorn"
)

// CA-4, DN-1, DN-2: persons concerned are listed by pseudonym; the art. 14
// notification is due at day 10 and overdue at day 11; a deferral needs a
// reason, a legal basis and a review date; closure generates the standard
// notice for the not-yet-notified only; names never reach lists or the
// stored bytes; a handler without access gets 404.
func TestPersonsConcernedAndTheirNotification(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.submitOK(minimalAnswers("procurement fraud"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		base := "/api/v1/staff/cases/" + id + "/persons"

		// Invalid input.
		e.doJSON(e.staff.URL, "POST", base, staff, map[string]any{"role": "suspect", "name": "x"}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", base, staff, map[string]any{"role": "witness", "name": " "}, http.StatusUnprocessableEntity, nil)

		add := func(role, name string) personResp {
			t.Helper()
			var p personResp
			e.doJSON(e.staff.URL, "POST", base, staff, map[string]any{"role": role, "name": name,
				"aliases": []string{name + " Jr"}, "relatives": []string{"spouse of " + name}, "contact": name + "@example.net",
				"notes": "works with " + name}, http.StatusCreated, &p)
			return p
		}
		a, b, c := add("reported_person", plantedReported), add("witness", plantedWitness), add("third_party", plantedThird)
		if a.Pseudonym != "Person A" || b.Pseudonym != "Person B" || c.Pseudonym != "Person C" {
			t.Fatalf("pseudonyms %q %q %q", a.Pseudonym, b.Pseudonym, c.Pseudonym)
		}
		if a.Notification.State != "pending" || a.Details != nil {
			t.Fatalf("new person = %+v", a)
		}

		// One person opened: the details are there.
		var one personResp
		e.doJSON(e.staff.URL, "GET", base+"/"+a.ID, staff, nil, http.StatusOK, &one)
		if one.Details == nil || one.Details.Name != plantedReported {
			t.Fatalf("opened person = %+v", one)
		}
		// An edit is journaled without its values.
		e.doJSON(e.staff.URL, "PATCH", base+"/"+b.ID, staff, map[string]any{"contact": "+45 1234 " + plantedWitness}, http.StatusOK, nil)
		e.doJSON(e.staff.URL, "PATCH", base+"/"+b.ID, staff, map[string]any{"role": "boss"}, http.StatusUnprocessableEntity, nil)

		// Another handler without access to the case: 404 everywhere.
		other := e.staffLogin(e.addUser("other@example.org", accounts.RoleHandler))
		for _, r := range []struct{ method, path string }{{"GET", base}, {"GET", base + "/" + a.ID}, {"DELETE", base + "/" + a.ID}} {
			e.doJSON(e.staff.URL, r.method, r.path, other, nil, http.StatusNotFound, nil)
		}
		e.doJSON(e.staff.URL, "POST", base, other, map[string]any{"role": "witness", "name": "x"}, http.StatusNotFound, nil)
		e.doJSON(e.staff.URL, "POST", base+"/"+a.ID+"/notified", other, map[string]any{"on": "2026-03-02", "method": "letter"}, http.StatusNotFound, nil)
		var none struct{ Notifications []any }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/notifications/due", other, nil, http.StatusOK, &none)
		if len(none.Notifications) != 0 {
			t.Fatalf("a handler without access sees notifications: %+v", none)
		}

		// DN-1: day 10 due, day 11 overdue (sessions expire while the
		// clock travels, so log in again).
		due := func() map[string]string {
			t.Helper()
			staff = e.staffLogin(e.handler)
			var out struct {
				Notifications []struct{ Pseudonym, Status, State string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/notifications/due", staff, nil, http.StatusOK, &out)
			m := map[string]string{}
			for _, n := range out.Notifications {
				m[n.Pseudonym] = n.Status
			}
			return m
		}
		if s := due(); s["Person A"] != "ok" {
			t.Fatalf("day 0: %v", s)
		}
		e.clock.Advance(10 * 24 * time.Hour)
		if s := due(); s["Person A"] != "due" || s["Person B"] != "due" {
			t.Fatalf("day 10: %v", s)
		}
		e.clock.Advance(24 * time.Hour)
		if s := due(); s["Person A"] != "overdue" {
			t.Fatalf("day 11: %v", s)
		}

		// DN-2: a deferral needs a reason, a legal basis and a future review date.
		deferPath := base + "/" + b.ID + "/defer"
		for _, bad := range []map[string]string{
			{"legal_basis": "GDPR art. 14(5)(b)", "review_on": "2026-06-01"},
			{"reason": "would alert the suspect", "legal_basis": "GDPR art. 14(5)(b)"},
			{"reason": "would alert the suspect", "legal_basis": "GDPR art. 14(5)(b)", "review_on": "soon"},
			{"reason": "would alert the suspect", "legal_basis": "GDPR art. 14(5)(b)", "review_on": "2026-03-01"},
			{"reason": "would alert the suspect", "review_on": "2026-06-01"},
		} {
			e.doJSON(e.staff.URL, "POST", deferPath, staff, bad, http.StatusUnprocessableEntity, nil)
		}
		var deferred personResp
		e.doJSON(e.staff.URL, "POST", deferPath, staff, map[string]string{"reason": "would alert the suspect",
			"legal_basis": "DK databeskyttelseslov § 22", "review_on": "2026-06-01"}, http.StatusOK, &deferred)
		if deferred.Notification.State != "deferred" || deferred.Notification.ReviewOn != "2026-06-01" {
			t.Fatalf("deferred = %+v", deferred)
		}
		if s := due(); s["Person B"] != "ok" {
			t.Fatalf("deferred until review: %v", s)
		}

		// Person C is notified; notifying twice or in the future is refused.
		notified := base + "/" + c.ID + "/notified"
		e.doJSON(e.staff.URL, "POST", notified, staff, map[string]string{"on": "2027-01-01", "method": "letter"}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", notified, staff, map[string]string{"on": "2026-03-10", "method": "carrier pigeon"}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", notified, staff, map[string]string{"on": "2026-03-10", "method": "letter"}, http.StatusOK, nil)
		e.doJSON(e.staff.URL, "POST", notified, staff, map[string]string{"on": "2026-03-10", "method": "letter"}, http.StatusConflict, nil)
		if s := due(); s["Person C"] != "" {
			t.Fatalf("a notified person is still due: %v", s)
		}

		// Closure: notices for A (pending) and B (deferred), not for C.
		state := "/api/v1/staff/cases/" + id + "/state"
		e.doJSON(e.staff.URL, "POST", state, staff, map[string]string{"state": "screening"}, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "POST", state, staff, map[string]string{"state": "closed", "outcome": "substantiated",
			"reason": "documents confirm it", "message": "Thank you; the matter was confirmed and handled."}, http.StatusNoContent, nil)
		var list struct{ Persons []personResp }
		e.doJSON(e.staff.URL, "GET", base, staff, nil, http.StatusOK, &list)
		states := map[string]string{}
		for _, p := range list.Persons {
			states[p.Pseudonym] = p.Notification.State
		}
		if states["Person A"] != "notice_generated" || states["Person B"] != "notice_generated" || states["Person C"] != "notified" {
			t.Fatalf("after closure: %v", states)
		}
		var notice personResp
		e.doJSON(e.staff.URL, "GET", base+"/"+a.ID, staff, nil, http.StatusOK, &notice)
		if !strings.Contains(notice.Notification.Notice, "Test Org") || strings.Contains(notice.Notification.Notice, "{{") ||
			strings.Contains(notice.Notification.Notice, plantedReported) {
			t.Fatalf("notice = %q", notice.Notification.Notice)
		}
		var cNow personResp
		e.doJSON(e.staff.URL, "GET", base+"/"+c.ID, staff, nil, http.StatusOK, &cNow)
		if cNow.Notification.Notice != "" || cNow.Notification.NotifiedOn != "2026-03-10" || cNow.Notification.Method != "letter" {
			t.Fatalf("notified person = %+v", cNow.Notification)
		}

		// Removal erases the details; the pseudonym is not reused.
		e.doJSON(e.staff.URL, "DELETE", base+"/"+c.ID, staff, nil, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "GET", base+"/"+c.ID, staff, nil, http.StatusNotFound, nil)
		d4 := add("witness", "Fourth Witness")
		if d4.Pseudonym != "Person D" {
			t.Fatalf("pseudonym after removal = %q", d4.Pseudonym)
		}

		// CA-4: lists, the inbox, the journal and the due list carry no names.
		var journal journalResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &journal)
		var personEntries int
		for _, en := range journal.Entries {
			if en.Kind == "person" {
				personEntries++
			}
		}
		if personEntries < 8 { // 4 adds, 1 edit, 1 deferral, 1 notified, 2 notices, 1 removal
			t.Fatalf("%d person entries in the journal", personEntries)
		}
		for _, path := range []string{base, "/api/v1/staff/cases", "/api/v1/staff/cases/" + id + "/journal", "/api/v1/staff/notifications/due"} {
			status, body := e.get(e.staff.URL, path, staff)
			if status != http.StatusOK {
				t.Fatalf("%s: %d", path, status)
			}
			for _, name := range []string{plantedReported, plantedWitness, plantedThird, "Quastelmann"} {
				if bytes.Contains(body, []byte(name)) {
					t.Fatalf("%s shows the name %q", path, name)
				}
			}
			if (path == base || strings.HasSuffix(path, "/journal")) && !bytes.Contains(body, []byte("Person A")) {
				t.Fatalf("%s has no pseudonym: %s", path, body)
			}
		}

		// Names, contact, the deferral reason and the notice never reach the stored bytes.
		e.db.Checkpoint(context.Background())
		var all bytes.Buffer
		if err := e.db.EachStoredValue(context.Background(), func(_ string, v []byte) { all.Write(v); all.WriteByte(0) }); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{plantedReported, plantedWitness, plantedThird, "Quastelmann", "would alert the suspect",
			"databeskyttelseslov", "Information about the processing"} {
			if bytes.Contains(all.Bytes(), []byte(secret)) {
				t.Fatalf("%q is stored in clear", secret)
			}
		}
		// The audit log has the steps, with tokens only.
		logs := e.logs.Bytes()
		if bytes.Contains(logs, []byte("Quastelmann")) {
			t.Fatal("a name reached the log")
		}
	})
}

// ST-1: the yearly statistics hold counts only, with small counts
// suppressed, and only admins and the DPO may read them.
func TestStatisticsCountsOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		for range 6 {
			e.submitOK(minimalAnswers("statistics marker text"))
		}
		staff := e.staffLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 6 {
			t.Fatalf("%d cases", len(inbox.Cases))
		}
		for i, c := range inbox.Cases {
			e.clock.Advance(10 * time.Minute) // staff sessions end after 30 minutes idle
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/messages", staff, map[string]string{"text": "Thank you, received."}, http.StatusCreated, nil)
			if i == 0 {
				p := "/api/v1/staff/cases/" + c.ID + "/state"
				e.doJSON(e.staff.URL, "POST", p, staff, map[string]string{"state": "screening"}, http.StatusNoContent, nil)
				e.doJSON(e.staff.URL, "POST", p, staff, map[string]string{"state": "closed", "outcome": "unfounded",
					"reason": "nothing found", "message": "We found nothing."}, http.StatusNoContent, nil)
			}
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/statistics?year=2026", staff, nil, http.StatusForbidden, nil)

		for _, role := range []string{accounts.RoleAdmin, accounts.RoleDPO} {
			tok := e.staffLogin(e.addUser(role+"@example.org", role))
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/statistics?year=1066", tok, nil, http.StatusUnprocessableEntity, nil)
			status, body := e.get(e.staff.URL, "/api/v1/staff/statistics?year=2026", tok)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", role, status, body)
			}
			for _, c := range inbox.Cases {
				if bytes.Contains(body, []byte(c.ID)) {
					t.Fatalf("statistics contain a case id: %s", body)
				}
			}
			for _, text := range []string{"statistics marker", "Thank you", "nothing found", "We found", "case_number"} {
				if bytes.Contains(body, []byte(text)) {
					t.Fatalf("statistics contain case text %q: %s", text, body)
				}
			}
			var st struct {
				Year            int
				Received        any
				PerMonth        []any `json:"per_month"`
				Acknowledgement struct {
					Cases      any
					MedianDays *float64 `json:"median_days"`
				}
				Feedback struct {
					Cases      any
					MedianDays *float64 `json:"median_days"`
				}
				Outcomes     map[string]any
				Open, Closed any
			}
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatal(err)
			}
			if st.Year != 2026 || st.Received != float64(6) || st.PerMonth[2] != float64(6) || st.PerMonth[0] != float64(0) {
				t.Fatalf("counts: %s", body)
			}
			if st.Acknowledgement.Cases != float64(6) || st.Acknowledgement.MedianDays == nil {
				t.Fatalf("acknowledgement: %s", body)
			}
			// One case closed: every cell about it is suppressed.
			if st.Outcomes["unfounded"] != "<5" || st.Closed != "<5" || st.Open != float64(5) ||
				st.Feedback.Cases != "<5" || st.Feedback.MedianDays != nil || st.Outcomes["substantiated"] != float64(0) {
				t.Fatalf("small counts not suppressed: %s", body)
			}
		}
	})
}
