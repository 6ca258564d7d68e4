package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

var registerListRoutes = []string{"/api/v1/staff/registers/ropa", "/api/v1/staff/registers/ropa/export",
	"/api/v1/staff/registers/processors", "/api/v1/staff/registers/dpias", "/api/v1/staff/registers/risks",
	"/api/v1/staff/registers/reviews", "/api/v1/staff/audit",
	"/api/v1/staff/registers/ropa/x", "/api/v1/staff/registers/processors/x", "/api/v1/staff/registers/dpias/x",
	"/api/v1/staff/registers/risks/x", "/api/v1/staff/registers/reviews/x"}

func ropaBody(marker string) map[string]any {
	m := map[string]any{"high_risk": true}
	for _, f := range []string{"controller", "joint_controller", "representative", "dpo", "purposes", "data_subject_categories",
		"personal_data_categories", "recipient_categories", "third_country_transfers", "transfer_safeguards", "erasure_time_limits",
		"security_measures", "legal_basis_art6", "legal_basis_art9", "legal_basis_national"} {
		m[f] = marker + "-" + f
	}
	return m
}

// RP-1, RP-2, RK-1, RK-2 and AR-1 over the staff API: handlers are
// refused, admins and the DPO work, flags show, exports come out as JSON
// and CSV, and nothing typed is stored in clear.
func TestRegistersAPIRP1RP2RK1RK2AR1(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			e := newAPIEnv(t, d)
			admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
			dpo := e.staffLogin(e.addUser("dpo@example.org", accounts.RoleDPO))
			handler := e.staffLogin(e.handler)

			for _, p := range registerListRoutes {
				var pr apiProblem
				e.doJSON(e.staff.URL, "GET", p, handler, nil, http.StatusForbidden, &pr)
				if pr.Error.Code != "forbidden" {
					t.Fatalf("%s: code %q", p, pr.Error.Code)
				}
				e.doJSON(e.staff.URL, "GET", p, "", nil, http.StatusUnauthorized, nil)
			}
			for _, p := range []string{"/api/v1/staff/registers/ropa", "/api/v1/staff/registers/processors", "/api/v1/staff/registers/dpias",
				"/api/v1/staff/registers/risks", "/api/v1/staff/registers/reviews"} {
				var pr apiProblem
				e.doJSON(e.staff.URL, "POST", p, handler, map[string]any{}, http.StatusForbidden, &pr)
				if pr.Error.Code != "forbidden" {
					t.Fatalf("POST %s: code %q", p, pr.Error.Code)
				}
			}

			// RP-1: the seeded record, a new one, a missing field.
			var list struct {
				Activities []struct {
					ID          string
					DPIAMissing bool `json:"dpia_missing"`
					Record      map[string]string
				}
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/ropa", dpo, nil, http.StatusOK, &list)
			if len(list.Activities) != 1 || !list.Activities[0].DPIAMissing || len(list.Activities[0].Record) != 15 {
				t.Fatalf("seeded %+v", list)
			}
			body := ropaBody("MARKERREG")
			delete(body, "transfer_safeguards")
			var pr apiProblem
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/ropa", admin, body, http.StatusUnprocessableEntity, &pr)
			if pr.Error.Code != "invalid_request" || len(pr.Error.Fields) != 1 || pr.Error.Fields[0].Question != "transfer_safeguards" {
				t.Fatalf("missing field answer %+v", pr)
			}
			var act struct{ ID string }
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/ropa", admin, ropaBody("MARKERREG"), http.StatusCreated, &act)
			e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/registers/ropa/"+act.ID, dpo, ropaBody("MARKERREG2"), http.StatusOK, nil)
			e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/registers/ropa/nope", dpo, ropaBody("MARKERREG2"), http.StatusNotFound, nil)

			// RP-2: flagged processor.
			var proc struct {
				ID               string
				Flagged          bool
				AgreementMissing bool     `json:"agreement_missing"`
				ClausesMissing   []string `json:"clauses_missing"`
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/processors", dpo, map[string]any{"name": "MARKERREG-proc",
				"contact": "MARKERREG-contact", "service": "MARKERREG-svc", "activities": []string{act.ID}, "clauses": []string{"a", "b"}},
				http.StatusCreated, &proc)
			if !proc.Flagged || !proc.AgreementMissing || len(proc.ClausesMissing) != 6 {
				t.Fatalf("processor %+v", proc)
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/processors/"+proc.ID, admin, nil, http.StatusOK, nil)

			// RK-1: a DPIA clears the flag.
			var dp struct{ ID string }
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/dpias", dpo, map[string]any{"activity_id": act.ID,
				"description": "MARKERREG-a", "necessity": "MARKERREG-b", "risks": "MARKERREG-c", "measures": "MARKERREG-d",
				"dpo_advice": "MARKERREG-advice", "review_at": e.clock.Now().AddDate(1, 0, 0)}, http.StatusCreated, &dp)
			var one struct {
				DPIAMissing bool `json:"dpia_missing"`
				DPIAs       []string
				Entries     []struct{ Kind string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/ropa/"+act.ID, admin, nil, http.StatusOK, &one)
			if one.DPIAMissing || len(one.DPIAs) != 1 || len(one.Entries) != 2 {
				t.Fatalf("activity %+v", one)
			}

			// RK-2: score.
			var risk struct {
				ID    string
				Score int
				Level string
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/risks", admin, map[string]any{"title": "MARKERREG-risk",
				"likelihood": 3, "impact": 4, "activity_id": act.ID}, http.StatusCreated, &risk)
			if risk.Score != 12 || risk.Level != "high" {
				t.Fatalf("risk %+v", risk)
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/risks", admin, map[string]any{"title": "x", "likelihood": 0, "impact": 4},
				http.StatusUnprocessableEntity, nil)

			// Exports.
			var exp struct {
				Activities []any `json:"records_of_processing"`
				Processors []any
				DPIAs      []any
				Risks      []any
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/ropa/export", dpo, nil, http.StatusOK, &exp)
			if len(exp.Activities) != 2 || len(exp.Processors) != 1 || len(exp.DPIAs) != 1 || len(exp.Risks) != 1 {
				t.Fatalf("export %+v", exp)
			}
			req, _ := http.NewRequest("GET", e.staff.URL+"/api/v1/staff/registers/ropa/export?format=csv", nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			csvBody, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
				!bytes.Contains(csvBody, []byte("MARKERREG2-purposes")) || bytes.Count(csvBody, []byte("\n")) != 3 {
				t.Fatalf("csv export %d %s", resp.StatusCode, csvBody)
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/ropa/export?format=xml", dpo, nil, http.StatusUnprocessableEntity, nil)

			// AR-1 over HTTP.
			var state struct{ Overdue bool }
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews", dpo, nil, http.StatusOK, &state)
			if !state.Overdue {
				t.Fatal("no review yet, not overdue")
			}
			var rv struct {
				ID    string
				Lines []struct {
					UserID   string `json:"user_id"`
					Role     string
					CaseKeys int `json:"case_keys"`
				}
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/reviews", dpo, nil, http.StatusCreated, &rv)
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/reviews", admin, nil, http.StatusConflict, nil)
			handlerID := e.userID(e.handler)
			for _, l := range rv.Lines {
				dec := "keep"
				if l.UserID == handlerID {
					dec = "disable"
				}
				e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/reviews/"+rv.ID+"/lines/"+l.UserID, admin, map[string]string{"decision": dec}, http.StatusOK, nil)
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews", dpo, nil, http.StatusOK, &state)
			if state.Overdue {
				t.Fatal("overdue after a completed review")
			}
			// The disabled handler's session is gone.
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", handler, nil, http.StatusUnauthorized, nil)
			if !e.auditHas("user.disable", handlerID, "") {
				t.Fatal("disabling is not audited")
			}

			// AL-2: the audit log as stored.
			var page struct {
				NextSeq int64 `json:"next_seq"`
				Entries []struct {
					Seq    int64
					Action string
				}
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/audit?from_seq=1&limit=5", dpo, nil, http.StatusOK, &page)
			if len(page.Entries) != 5 || page.Entries[0].Seq != 1 || page.NextSeq != 6 {
				t.Fatalf("audit page %+v", page)
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/audit?limit=x", dpo, nil, http.StatusUnprocessableEntity, nil)

			e.db.Checkpoint(context.Background())
			if err := e.db.EachStoredValue(context.Background(), func(table string, v []byte) {
				if bytes.Contains(v, []byte("MARKERREG")) {
					t.Errorf("a register marker is stored in clear in %s", table)
				}
			}); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(e.logs.Bytes(), []byte("MARKERREG")) {
				t.Error("a register marker is in the log")
			}
		})
	}
}

// AL-2: a DPO holds no case key: the inbox is empty and every case content
// route answers 404, while the registers and the audit log are open.
func TestDPOReadsNoCaseContentAL2(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			e := newAPIEnv(t, d)
			e.submitOK(map[string]any{"what": "MARKERCASE what happened", "when": "MARKERCASE when", "how_known": "witnessed"},
				upload{Name: "a.txt", Type: "text/plain", Body: strings.NewReader("MARKERCASE file")})
			handler := e.staffLogin(e.handler)
			var inbox struct {
				Cases []struct{ ID string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", handler, nil, http.StatusOK, &inbox)
			if len(inbox.Cases) != 1 {
				t.Fatalf("handler inbox %+v", inbox)
			}
			id := inbox.Cases[0].ID
			var c struct {
				Files []struct{ ID string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, handler, nil, http.StatusOK, &c)

			dpo := e.staffLogin(e.addUser("dpo@example.org", accounts.RoleDPO))
			var dinbox struct {
				Cases []struct{ ID string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", dpo, nil, http.StatusOK, &dinbox)
			if len(dinbox.Cases) != 0 {
				t.Fatalf("the DPO's inbox is not empty: %+v", dinbox)
			}
			paths := []string{"/api/v1/staff/cases/" + id, "/api/v1/staff/cases/" + id + "/journal",
				"/api/v1/staff/cases/" + id + "/access", "/api/v1/staff/cases/" + id + "/persons"}
			for _, f := range c.Files {
				paths = append(paths, "/api/v1/staff/cases/"+id+"/files/"+f.ID)
			}
			for _, p := range paths {
				res := e.call(e.staff.URL, "GET", p, dpo, nil)
				if res.status != http.StatusNotFound {
					t.Errorf("DPO GET %s: status %d, want 404", p, res.status)
				}
				if bytes.Contains(res.body, []byte("MARKERCASE")) {
					t.Errorf("DPO GET %s: case content in the answer", p)
				}
			}
			res := e.call(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", dpo, map[string]string{"text": "hello"})
			if res.status != http.StatusNotFound {
				t.Errorf("DPO posting a message: status %d, want 404", res.status)
			}
			for _, p := range []string{"/api/v1/staff/registers/ropa", "/api/v1/staff/breaches", "/api/v1/staff/audit"} {
				e.doJSON(e.staff.URL, "GET", p, dpo, nil, http.StatusOK, nil)
			}
			var page struct {
				Entries []struct{ Action, ObjectID, Detail string }
			}
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/audit", dpo, nil, http.StatusOK, &page)
			for _, en := range page.Entries {
				if strings.Contains(en.ObjectID+en.Detail, "MARKERCASE") {
					t.Fatalf("audit entry holds content: %+v", en)
				}
			}
		})
	}
}
