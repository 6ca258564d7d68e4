package web

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

type apiProblem struct {
	Error struct {
		Code   string
		Fields []struct{ Question, Code string }
	}
}

// TestRegistersAPIRolesAndRules drives both registers over the staff API:
// handlers are refused, admins and the DPO work, the rules answer with
// stable codes, and nothing typed reaches the database in clear.
func TestRegistersAPIRolesAndRules(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			e := newAPIEnv(t, d)
			admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
			dpo := e.staffLogin(e.addUser("dpo@example.org", accounts.RoleDPO))
			handler := e.staffLogin(e.handler)
			aware := e.clock.Now().Add(-80 * time.Hour).UTC() // already past the 72 hours

			// Handlers: 403 on every register route.
			for _, p := range []string{"/api/v1/staff/breaches", "/api/v1/staff/requests", "/api/v1/staff/breaches/x", "/api/v1/staff/requests/x"} {
				var pr apiProblem
				e.doJSON(e.staff.URL, "GET", p, handler, nil, http.StatusForbidden, &pr)
				if pr.Error.Code != "forbidden" {
					t.Fatalf("%s: code %q", p, pr.Error.Code)
				}
			}
			var pr apiProblem
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches", handler, map[string]any{"aware_at": aware, "type": "integrity",
				"severity": 2, "what_happened": "x"}, http.StatusForbidden, &pr)
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/breaches", "", nil, http.StatusUnauthorized, nil)

			// BR-1..BR-4 over HTTP.
			var b struct {
				ID, Risk  string
				NotifyDue time.Time `json:"notify_due"`
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches", admin, map[string]any{"aware_at": aware, "type": "confidentiality",
				"severity": 9, "what_happened": "MARKERAPI-what", "approx_subjects": 4}, http.StatusCreated, &b)
			if b.Risk != "high_risk" || !b.NotifyDue.Equal(aware.Add(72*time.Hour)) {
				t.Fatalf("breach %+v", b)
			}
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/notify-authority", dpo, map[string]any{}, http.StatusUnprocessableEntity, &pr)
			if pr.Error.Code != "notification_incomplete" || len(pr.Error.Fields) != 5 || pr.Error.Fields[0].Question != "data_categories" {
				t.Fatalf("incomplete notification answer %+v", pr)
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/updates", dpo, map[string]any{"phase": "contain",
				"data_categories": "MARKERAPI-cat", "approx_records": 8, "contact_point": "MARKERAPI-contact",
				"likely_consequences": "MARKERAPI-cons", "measures": "MARKERAPI-measures"}, http.StatusCreated, nil)
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/notify-authority", dpo, map[string]any{}, http.StatusUnprocessableEntity, &pr)
			if pr.Error.Code != "late_reason_required" {
				t.Fatalf("late notification answer %+v", pr)
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/notify-authority", dpo, map[string]any{"late_reason": "MARKERAPI-late"}, http.StatusOK, nil)
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/close", admin, map[string]any{}, http.StatusConflict, &pr)
			if pr.Error.Code != "subject_notice_required" {
				t.Fatalf("close answer %+v", pr)
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/subject-notice", admin, map[string]any{"kind": "notice", "text": "MARKERAPI-notice"}, http.StatusOK, nil)
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches/"+b.ID+"/close", admin, map[string]any{}, http.StatusOK, nil)
			var got struct {
				Status  string
				Details struct{ Measures string }
				Entries []struct{ Kind string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/breaches/"+b.ID, dpo, nil, http.StatusOK, &got)
			if got.Status != "closed" || got.Details.Measures != "MARKERAPI-measures" || len(got.Entries) != 5 {
				t.Fatalf("breach read back %+v", got)
			}

			// DSR-1..DSR-4 over HTTP. Received 31 January: due 28 February.
			var r struct {
				ID  string
				Due time.Time
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests", dpo, map[string]any{"type": "access", "channel": "letter",
				"received_at": time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), "requester": "MARKERAPI-name", "contact": "MARKERAPI-addr"},
				http.StatusCreated, &r)
			if !r.Due.Equal(time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)) {
				t.Fatalf("due %s", r.Due)
			}
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/complete", dpo, map[string]any{}, http.StatusConflict, &pr)
			if pr.Error.Code != "identity_unverified" {
				t.Fatalf("complete answer %+v", pr)
			}
			// The clock stands at 2 March: the first month ended on 28 February.
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/extend", dpo, map[string]any{"months": 2, "reason": "MARKERAPI-ext"},
				http.StatusUnprocessableEntity, &pr)
			if pr.Error.Code != "extension_too_late" {
				t.Fatalf("extend answer %+v", pr)
			}
			var list struct {
				Requests []struct {
					ID      string
					Overdue bool
				}
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/requests", admin, nil, http.StatusOK, &list)
			if len(list.Requests) != 1 || !list.Requests[0].Overdue {
				t.Fatalf("list %+v", list)
			}
			pr = apiProblem{}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/refuse", dpo, map[string]any{"reason": "MARKERAPI-reason"}, http.StatusUnprocessableEntity, &pr)
			if pr.Error.Code != "complaint_notice_required" {
				t.Fatalf("refuse answer %+v", pr)
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/verify", dpo, map[string]any{"method": "registered_address", "on_behalf": "power_of_attorney"}, http.StatusOK, nil)
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/complete", dpo, map[string]any{"restriction_citation": "DK databeskyttelseslov § 22"}, http.StatusOK, nil)
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/requests/nope", dpo, nil, http.StatusNotFound, nil)

			// At rest: no typed text in any stored value, nor in the logs.
			e.db.Checkpoint(context.Background())
			if err := e.db.EachStoredValue(context.Background(), func(table string, v []byte) {
				if bytes.Contains(v, []byte("MARKERAPI")) {
					t.Errorf("a register marker is stored in clear in %s", table)
				}
			}); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(e.logs.Bytes(), []byte("MARKERAPI")) {
				t.Error("a register marker is in the log")
			}
		})
	}
}
