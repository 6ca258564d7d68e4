package web

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

const meetingMarker = "MEETINGMARK Tuesdays after 16, call 5550101"

// RC-2 (Directive art. 9(2)): on the status page, without JavaScript,
// the whistleblower asks for a meeting. That creates a task on the case,
// due 14 calendar days later (the channel's period, fixed clock), and an
// audit entry naming no one; the text is sealed, not stored in clear. The
// case with the meeting comes first in the inbox's due ordering and shows
// as overdue after the date. The handler declines with a reason, which
// the whistleblower then reads on the status page; the answer is
// journaled and audited. A second request then gets the channel's own
// period.
func TestRC2MeetingRequestCreatesTaskAndAuditEntry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		hTok := e.staffLogin(e.handler)
		admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		receipts := map[string]string{}
		ids := map[string]string{}
		for _, name := range []string{"case A", "case B", "case C"} {
			receipts[name] = e.submitOK(minimalAnswers(name))
			ids[name] = e.caseWith(hTok, name).ID
			// Acknowledged: the statutory deadlines are three months off.
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+ids[name]+"/messages", hTok, map[string]string{"text": "Thank you."},
				http.StatusCreated, nil)
			e.clock.Advance(time.Minute)
		}
		order := func() []string {
			t.Helper()
			var inbox struct{ Cases []struct{ ID string } }
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", hTok, nil, http.StatusOK, &inbox)
			var out []string
			for _, c := range inbox.Cases {
				for name, id := range ids {
					if id == c.ID {
						out = append(out, name)
					}
				}
			}
			return out
		}
		if got := strings.Join(order(), ", "); got != "case A, case B, case C" {
			t.Fatalf("inbox before the request: %s", got)
		}

		// The request, from the status page with JavaScript off: a plain form.
		wb := e.wbCookieLogin(receipts["case B"])
		page := e.page(e.public.URL, "/status?lang=en", wb, http.StatusOK)
		htmlWant(t, "status page", page, `action="/status/meeting-requests?lang=en"`, `name="text"`, "Ask for a meeting")
		requested := e.clock.Now()
		e.postForm(e.public.URL, "/status/meeting-requests", wb, url.Values{"text": {meetingMarker}}, http.StatusSeeOther)
		page = e.page(e.public.URL, "/status?lang=en", wb, http.StatusOK)
		htmlWant(t, "status page after asking", page, "Your request has been received", html.EscapeString(meetingMarker))
		htmlWantNot(t, "status page after asking", page, `action="/status/meeting-requests`)
		// One open request at a time.
		wbTok := e.wbLogin(receipts["case B"])
		res := e.call(e.public.URL, "POST", "/api/v1/wb/meeting-requests", wbTok, map[string]string{})
		if res.status != http.StatusConflict || !strings.Contains(string(res.body), "meeting_pending") {
			t.Errorf("second request: %d %s", res.status, res.body)
		}

		var tasks struct {
			Tasks []taskJSON
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+ids["case B"]+"/tasks", hTok, nil, http.StatusOK, &tasks)
		if len(tasks.Tasks) != 1 {
			t.Fatalf("tasks: %+v", tasks)
		}
		task := tasks.Tasks[0]
		if task.Status != "open" || task.Kind != "meeting" || task.Request != meetingMarker {
			t.Errorf("task %+v", task)
		}
		if want := requested.AddDate(0, 0, 14); !task.DueAt.Equal(want) {
			t.Errorf("due %v, want %v (14 days in the organisation's time zone)", task.DueAt, want)
		}
		if !e.auditHas("case.task", ids["case B"], "meeting.request") {
			t.Error("audit log lacks the meeting request")
		}
		if d == store.SQLite {
			for _, p := range storetest.SQLiteFiles(e.db) {
				raw, _ := os.ReadFile(p)
				if strings.Contains(string(raw), "MEETINGMARK") {
					t.Errorf("%s holds the request in clear", p)
				}
			}
		}
		if strings.Contains(string(e.logs.Bytes()), "MEETINGMARK") {
			t.Error("logs hold the request text")
		}

		// The meeting leads the inbox, and is overdue after its date.
		if got := strings.Join(order(), ", "); got != "case B, case A, case C" {
			t.Errorf("inbox with the request: %s", got)
		}
		staff := e.staffCookieLogin(e.handler)
		inbox := e.page(e.staff.URL, "/?lang=en", staff, http.StatusOK)
		htmlWant(t, "inbox", inbox, "Meet by "+task.DueAt.Format("2006-01-02"))
		e.clock.Advance(15 * 24 * time.Hour)
		// Sessions expired meanwhile.
		staff, hTok, admin = e.staffCookieLogin(e.handler), e.staffLogin(e.handler), e.staffLogin(e.addUser("admin2@example.org", accounts.RoleAdmin))
		wb, wbTok = e.wbCookieLogin(receipts["case B"]), e.wbLogin(receipts["case B"])
		inbox = e.page(e.staff.URL, "/?lang=en", staff, http.StatusOK)
		htmlWant(t, "inbox after the date", inbox, "Overdue")
		casePage := e.page(e.staff.URL, "/cases/"+ids["case B"]+"?lang=en", staff, http.StatusOK)
		htmlWant(t, "case page", casePage, "Meeting requests", html.EscapeString(meetingMarker), "Overdue",
			`action="/cases/`+ids["case B"]+`/tasks/`+task.ID+`/close?lang=en"`)

		// Declining needs a reason; with one, the whistleblower reads it.
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+ids["case B"]+"/tasks/"+task.ID+"/close", hTok,
			map[string]string{"outcome": "declined"}, http.StatusUnprocessableEntity, nil)
		e.postForm(e.staff.URL, "/cases/"+ids["case B"]+"/tasks/"+task.ID+"/close", staff,
			url.Values{"outcome": {"declined"}, "text": {"We can only meet by video <b>now</b>."}}, http.StatusSeeOther)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+ids["case B"]+"/tasks/"+task.ID+"/close", hTok,
			map[string]string{"outcome": "held"}, http.StatusConflict, nil)
		page = e.page(e.public.URL, "/status?lang=en", wb, http.StatusOK)
		htmlWant(t, "status page with the answer", page, "Declined", "We can only meet by video &lt;b&gt;now&lt;/b&gt;.",
			`action="/status/meeting-requests?lang=en"`)
		if !e.auditHas("case.task", ids["case B"], "meeting.decline") {
			t.Error("audit log lacks the answer")
		}
		var journal struct {
			Entries []struct{ Kind, Action, Reason string }
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+ids["case B"]+"/journal", hTok, nil, http.StatusOK, &journal)
		found := false
		for _, j := range journal.Entries {
			found = found || j.Kind == "meeting" && j.Action == "meeting_declined" && strings.Contains(j.Reason, "video")
		}
		if !found {
			t.Errorf("journal lacks the answer: %+v", journal)
		}
		if got := order(); got[0] == "case B" {
			t.Errorf("answered request still leads the inbox: %v", got)
		}

		// The channel's own period applies to the next request.
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/meetings", hTok, map[string]any{"default": 14}, http.StatusForbidden, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/meetings", admin, map[string]any{"default": 0}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/meetings", admin, map[string]any{"default": 14, "channels": map[string]int{"nosuch": 3}},
			http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/meetings", admin, map[string]any{"default": 14, "channels": map[string]int{"general": 10}},
			http.StatusOK, nil)
		var next taskJSON
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/meeting-requests", wbTok, map[string]string{}, http.StatusCreated, &next)
		if want := e.clock.Now().AddDate(0, 0, 10); !next.DueAt.Equal(want) || next.Request != "" {
			t.Errorf("second request %+v, want due %v", next, want)
		}
		var mine struct {
			MeetingRequests []taskJSON `json:"meeting_requests"`
		}
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/meeting-requests", wbTok, nil, http.StatusOK, &mine)
		if len(mine.MeetingRequests) != 2 || mine.MeetingRequests[0].Status != "declined" || mine.MeetingRequests[1].Status != "open" {
			t.Errorf("whistleblower's requests: %+v", mine)
		}
		// Another case's whistleblower sees none of it.
		var other struct {
			MeetingRequests []taskJSON `json:"meeting_requests"`
		}
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/meeting-requests", e.wbLogin(receipts["case A"]), nil, http.StatusOK, &other)
		if len(other.MeetingRequests) != 0 {
			t.Errorf("case A sees %+v", other)
		}
	})
}

// RC-2: the admin sets the meeting periods on the settings page, without
// JavaScript; a bad number is refused with 422 and changes nothing.
func TestRC2SettingsPageSetsMeetingPeriods(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		c := e.staffCookieLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		page := e.page(e.staff.URL, "/settings?lang=en", c, http.StatusOK)
		htmlWant(t, "settings", page, `action="/settings/meetings?lang=en"`, `name="default" value="14"`, `name="days_general" value=""`)
		e.postForm(e.staff.URL, "/settings/meetings", c, url.Values{"default": {"14"}, "days_general": {"x"}}, http.StatusUnprocessableEntity)
		e.postForm(e.staff.URL, "/settings/meetings", c, url.Values{"default": {"91"}}, http.StatusUnprocessableEntity)
		e.postForm(e.staff.URL, "/settings/meetings", c, url.Values{"default": {"14"}, "days_nosuch": {"3"}}, http.StatusUnprocessableEntity)
		e.postForm(e.staff.URL, "/settings/meetings", c, url.Values{"default": {"21"}, "days_general": {"7"}}, http.StatusSeeOther)
		var got struct {
			Default  int
			Channels map[string]int
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/meetings", e.staffLogin(e.handler), nil, http.StatusOK, &got)
		if got.Default != 21 || got.Channels["general"] != 7 || len(got.Channels) != 1 {
			t.Errorf("periods %+v", got)
		}
	})
}
