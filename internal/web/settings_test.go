package web

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

type settingsCase struct {
	State        string
	Outcome      string
	CustomStatus string `json:"custom_status"`
	CaseNumber   int64  `json:"case_number"`
}

// Issue 3 (workflow): custom statuses map onto the case states; a case
// carries one only while it is in that state; a state change clears it.
func TestCustomStatusMustMatchTheCaseStateAndIsClearedByAStateChange(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.submitOK(minimalAnswers("custom status"))
		admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)

		var got struct {
			Statuses []struct{ ID, State string }
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/statuses", staff, nil, http.StatusOK, &got)
		if len(got.Statuses) != 0 {
			t.Fatalf("statuses before any were set: %+v", got)
		}
		statuses := map[string]any{"statuses": []map[string]any{
			{"id": "awaiting-info", "labels": map[string]string{"en": "Awaiting information", "da": "Afventer oplysninger"}, "state": "screening"},
			{"id": "interviews", "labels": map[string]string{"en": "Interviews"}, "state": "investigation"},
		}}
		// Only admins change the settings.
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/statuses", staff, statuses, http.StatusForbidden, nil)
		for _, bad := range []map[string]any{
			{"statuses": []map[string]any{{"id": "x", "labels": map[string]string{"en": "X"}, "state": "archived"}}},
			{"statuses": []map[string]any{{"id": "x", "labels": map[string]string{"da": "X"}, "state": "closed"}}},
			{"statuses": []map[string]any{{"id": "Bad Id", "labels": map[string]string{"en": "X"}, "state": "closed"}}},
			{"statuses": []map[string]any{{"id": "x", "labels": map[string]string{"en": "X", "xx": "Y"}, "state": "closed"}}},
			{"statuses": []map[string]any{{"id": "x", "labels": map[string]string{"en": "X"}, "state": "closed"},
				{"id": "x", "labels": map[string]string{"en": "Y"}, "state": "received"}}},
		} {
			e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/statuses", admin, bad, http.StatusUnprocessableEntity, nil)
		}
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/statuses", admin, statuses, http.StatusOK, nil)
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/statuses", staff, nil, http.StatusOK, &got)
		if len(got.Statuses) != 2 || got.Statuses[0].ID != "awaiting-info" || got.Statuses[1].State != "investigation" {
			t.Fatalf("statuses = %+v", got)
		}

		path := "/api/v1/staff/cases/" + id + "/custom-status"
		custom := func(status string, want int) {
			t.Helper()
			e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"status": status}, want, nil)
		}
		caseNow := func() settingsCase {
			t.Helper()
			var c settingsCase
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
			return c
		}
		custom("awaiting-info", http.StatusUnprocessableEntity) // the case is received, not in screening
		custom("no-such-status", http.StatusUnprocessableEntity)
		// An admin without the case key cannot set it either.
		e.doJSON(e.staff.URL, "POST", path, admin, map[string]string{"status": ""}, http.StatusNotFound, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/state", staff, map[string]string{"state": "screening"}, http.StatusNoContent, nil)
		custom("interviews", http.StatusUnprocessableEntity)
		custom("awaiting-info", http.StatusNoContent)
		if c := caseNow(); c.State != "screening" || c.CustomStatus != "awaiting-info" {
			t.Fatalf("case = %+v", c)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/state", staff, map[string]string{"state": "investigation"}, http.StatusNoContent, nil)
		if c := caseNow(); c.State != "investigation" || c.CustomStatus != "" {
			t.Fatalf("a state change left the custom status: %+v", c)
		}
		custom("interviews", http.StatusNoContent)
		custom("", http.StatusNoContent)
		if c := caseNow(); c.CustomStatus != "" {
			t.Fatalf("clearing left %+v", c)
		}

		var j journalResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
		var changes []string
		for _, en := range j.Entries {
			if en.Kind == "status" {
				changes = append(changes, en.From+">"+en.To)
			}
		}
		if want := []string{">awaiting-info", ">interviews", "interviews>"}; len(changes) != 3 ||
			changes[0] != want[0] || changes[1] != want[1] || changes[2] != want[2] {
			t.Fatalf("journaled status changes = %v, want %v", changes, want)
		}
		assertSettingsAudited(t, e, 1)
	})
}

// Issue 3 (workflow): configured closing reasons replace the built-in
// list; closing with an empty message sends the outcome's template.
func TestConfiguredOutcomesReplaceTheDefaultsAndTheirTemplateIsSent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		receipt := e.submitOK(minimalAnswers("outcomes"))
		admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)

		var got struct {
			Outcomes []struct {
				ID        string
				Labels    map[string]string
				Templates map[string]string
			}
			Default bool
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/outcomes", staff, nil, http.StatusOK, &got)
		if !got.Default || len(got.Outcomes) != 5 || got.Outcomes[0].ID != "unfounded" || got.Outcomes[0].Labels["en"] == "" {
			t.Fatalf("default outcomes = %+v", got)
		}
		outcomes := map[string]any{"outcomes": []map[string]any{
			{"id": "resolved-internally", "labels": map[string]string{"en": "Resolved internally", "nb": "Løst internt"},
				"templates": map[string]string{"en": "Case {{case_number}} is closed: the matter was resolved. {{case_number}}",
					"da": "Sag {{case_number}} er lukket."}},
			{"id": "unfounded", "labels": map[string]string{"en": "Unfounded"}},
		}}
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/outcomes", staff, outcomes, http.StatusForbidden, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/outcomes", admin, map[string]any{"outcomes": []any{}}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/outcomes", admin, outcomes, http.StatusOK, nil)
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/outcomes", staff, nil, http.StatusOK, &got)
		if got.Default || len(got.Outcomes) != 2 || got.Outcomes[0].Templates["da"] == "" {
			t.Fatalf("configured outcomes = %+v", got)
		}

		state := func(body map[string]string, want int) {
			t.Helper()
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/state", staff, body, want, nil)
		}
		state(map[string]string{"state": "screening"}, http.StatusNoContent)
		// A built-in outcome no longer configured is refused.
		state(map[string]string{"state": "closed", "outcome": "substantiated", "reason": "r", "message": "m"}, http.StatusUnprocessableEntity)
		// An outcome without a template still needs a message.
		state(map[string]string{"state": "closed", "outcome": "unfounded", "reason": "r"}, http.StatusUnprocessableEntity)
		state(map[string]string{"state": "closed", "outcome": "resolved-internally", "reason": "settled with the department"}, http.StatusNoContent)

		var c settingsCase
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
		if c.State != "closed" || c.Outcome != "resolved-internally" {
			t.Fatalf("closed case = %+v", c)
		}
		n := strconv.FormatInt(c.CaseNumber, 10)
		want := "Case " + n + " is closed: the matter was resolved. " + n
		var mine caseResp
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", e.wbLogin(receipt), nil, http.StatusOK, &mine)
		if len(mine.Messages) != 1 || mine.Messages[0].Text != want {
			t.Fatalf("the whistleblower got %+v, want %q", mine.Messages, want)
		}
		assertSettingsAudited(t, e, 1)
	})
}

// assertSettingsAudited checks the chain and counts settings changes.
func assertSettingsAudited(t *testing.T, e *apiEnv, want int) {
	t.Helper()
	ctx := context.Background()
	rep, err := audit.Verify(ctx, e.db, "default")
	if err != nil || rep.Broken {
		t.Fatalf("audit chain: %+v %v", rep, err)
	}
	entries, err := e.db.AuditEntries(ctx, "default", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range entries {
		if en.Action == audit.ActionSettingsChange {
			n++
			if en.ObjectType != audit.ObjectOrganisation || en.ActorID == "" {
				t.Errorf("settings entry = %+v", en)
			}
		}
	}
	if n != want {
		t.Errorf("%d settings changes audited, want %d", n, want)
	}
}
