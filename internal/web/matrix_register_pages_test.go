package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// Policy rows of the register pages (records of processing, processors,
// DPIAs, risks, access reviews, retention) and of a case's retention page.
// The access-control matrix of matrix_test.go covers the JSON API from
// the OpenAPI document; these HTML routes are not in it, so their rows are
// here, one per route: the registers are for admins and the DPO (403 for
// handlers), a case's retention page for holders of the case key (404 for
// everyone else, the DPO included: no case content). Posts carry input
// the allowed roles get refused with 4xx, so the matrix changes nothing.

// registerPagePrefixes are the routes these rows must cover.
var registerPagePrefixes = []string{"/registers/ropa", "/registers/processors", "/registers/dpias", "/registers/risks",
	"/registers/access-reviews", "/registers/retention", "/cases/{id}/retention"}

func TestAccessControlMatrixRegisterPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		other := r.staffCookieLogin(r.addUser("other@example.org", "handler")) // a handler of no channel: no case keys
		r.submitOK(minimalAnswers("matrix case"))
		c := r.caseWith(r.handlerToken, "matrix case")

		// One entry of each register, made through the pages.
		r.get(t, "/registers/ropa", r.admin) // seeds the scheme's activity
		acts, err := r.db.RegisterItems(context.Background(), org.DefaultTenant, store.RegisterActivity, 10)
		if err != nil || len(acts) == 0 {
			t.Fatalf("activities: %v", err)
		}
		ids := map[string]string{"ropa": acts[0].ID}
		for kind, form := range map[string]url.Values{
			"processors": {"name": {"Host"}, "contact": {"c"}, "service": {"s"}},
			"dpias": {"activity_id": {acts[0].ID}, "description": {"d"}, "necessity": {"n"}, "risks": {"r"}, "measures": {"m"},
				"dpo_advice": {"a"}, "review_at": {"2027-01-01"}},
			"risks": {"title": {"t"}, "likelihood": {"1"}, "impact": {"1"}},
		} {
			status, body, loc := r.post(t, "/registers/"+kind, r.admin, form)
			wantStatus(t, kind, status, http.StatusSeeOther, body)
			ids[kind] = loc[strings.LastIndex(loc, "/")+1:]
		}
		_, _, review := r.post(t, "/registers/access-reviews", r.admin, nil)
		reviewID := review[strings.LastIndex(review, "/")+1:]

		registers := map[string]int{"admin": http.StatusOK, "dpo": http.StatusOK, "handler": http.StatusForbidden, "other": http.StatusForbidden}
		refused := map[string]int{"admin": http.StatusUnprocessableEntity, "dpo": http.StatusUnprocessableEntity,
			"handler": http.StatusForbidden, "other": http.StatusForbidden}
		caseOnly := map[string]int{"admin": http.StatusNotFound, "dpo": http.StatusNotFound, "handler": http.StatusOK, "other": http.StatusNotFound}
		caseRefused := map[string]int{"admin": http.StatusNotFound, "dpo": http.StatusNotFound, "handler": http.StatusUnprocessableEntity,
			"other": http.StatusNotFound}
		badDate := url.Values{"next_review_at": {"not a date"}}
		type row struct {
			path string
			form url.Values // nil: GET
			want map[string]int
		}
		rows := map[string]row{
			"POST /registers/access-reviews": {"/registers/access-reviews", url.Values{}, map[string]int{"admin": http.StatusConflict,
				"dpo": http.StatusConflict, "handler": http.StatusForbidden, "other": http.StatusForbidden}},
			"GET /registers/access-reviews":      {"/registers/access-reviews", nil, registers},
			"GET /registers/access-reviews/{id}": {"/registers/access-reviews/" + reviewID, nil, registers},
			"POST /registers/access-reviews/{id}/lines/{user}": {"/registers/access-reviews/" + reviewID + "/lines/" + r.dpoID,
				url.Values{"decision": {"promote"}}, refused},
			"GET /registers/retention": {"/registers/retention", nil, registers},
			"POST /registers/retention/policies/{channel}/{category}": {"/registers/retention/policies/" + org.DefaultChannel + "/report",
				url.Values{"months": {"0"}}, map[string]int{"admin": http.StatusUnprocessableEntity, "dpo": http.StatusForbidden,
					"handler": http.StatusForbidden, "other": http.StatusForbidden}},
			"POST /registers/retention/policies/{channel}/{category}/reviewed": {"/registers/retention/policies/" + org.DefaultChannel + "/report/reviewed",
				badDate, refused},
			"GET /cases/{id}/retention":          {"/cases/" + c.ID + "/retention", nil, caseOnly},
			"POST /cases/{id}/retention/hold":    {"/cases/" + c.ID + "/retention/hold", url.Values{"reason": {" "}}, caseRefused},
			"POST /cases/{id}/retention/release": {"/cases/" + c.ID + "/retention/release", url.Values{"reason": {"no hold"}}, map[string]int{"admin": http.StatusNotFound, "dpo": http.StatusNotFound, "handler": http.StatusConflict, "other": http.StatusNotFound}},
			"POST /cases/{id}/retention/extend":  {"/cases/" + c.ID + "/retention/extend", url.Values{"months": {"99"}, "reason": {"r"}}, caseRefused},
			"POST /cases/{id}/retention/purge":   {"/cases/" + c.ID + "/retention/purge", url.Values{"reason": {"r"}}, caseRefused},
		}
		for _, kind := range []string{"ropa", "processors", "dpias", "risks"} {
			base := "/registers/" + kind
			rows["GET "+base] = row{base, nil, registers}
			rows["POST "+base] = row{base, url.Values{}, refused}
			rows["GET "+base+"/{id}"] = row{base + "/" + ids[kind], nil, registers}
			rows["POST "+base+"/{id}"] = row{base + "/" + ids[kind], url.Values{}, refused}
			rows["POST "+base+"/{id}/reviewed"] = row{base + "/" + ids[kind] + "/reviewed", badDate, refused}
		}

		// Every route of these pages has a row.
		for _, rt := range r.srv.staffRoutes {
			for _, p := range registerPagePrefixes {
				if strings.HasPrefix(rt.Path, p) {
					if _, ok := rows[rt.Method+" "+rt.Path]; !ok {
						t.Errorf("%s %s has no policy row", rt.Method, rt.Path)
					}
				}
			}
		}
		cookies := map[string]*http.Cookie{"admin": r.admin, "dpo": r.dpo, "handler": r.handler, "other": other}
		for key, rw := range rows {
			for who, want := range rw.want {
				var got int
				var body string
				if rw.form == nil {
					got, body = r.get(t, rw.path+"?lang=en", cookies[who])
				} else {
					form := url.Values{}
					for k, v := range rw.form {
						form[k] = v
					}
					got, body, _ = r.post(t, rw.path, cookies[who], form)
				}
				if got != want {
					t.Errorf("%s as %s: %d, want %d\n%.300s", key, who, got, want, body)
				}
			}
			// Without a session: the login page, never the content.
			method := http.MethodGet
			if rw.form != nil {
				method = http.MethodPost
			}
			req := htmlGet(rw.path)
			if method == http.MethodPost {
				req = htmlPostForm(rw.path, url.Values{})
			}
			res, _ := htmlDo(t, r.h, req)
			if res.StatusCode < 300 || res.StatusCode >= 500 {
				t.Errorf("%s without a session: %d", key, res.StatusCode)
			}
		}
		// Nothing the matrix posted changed a register.
		for reg, n := range map[string]int{store.RegisterActivity: 1, store.RegisterProcessor: 1, store.RegisterDPIA: 1, store.RegisterRisk: 1} {
			if got := r.itemCount(t, reg); got != n {
				t.Errorf("%s: %d entries after the matrix, want %d", reg, got, n)
			}
		}
	})
}
