package web

import (
	"net/http"
	"sync"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
)

// Policy rows of the anonymised copies (api_redactions.go, DA-2): holders
// of the case key only, as for the case itself; everyone else 404. A
// decision needs a copy someone else prepared, so the copies the owner
// approves, rejects or releases are prepared by a second handler, the
// "redactor", who is granted access to case A.

// redactionFixtures holds, per matrix fixture, the redactor's token and
// one copy per state for the calls that are refused.
var redactionFixtures sync.Map // *matrixFixture -> *redactionFixture

type redactionFixture struct {
	token  string
	copies map[string]string
}

func (f *matrixFixture) redactionFixture() *redactionFixture {
	if v, ok := redactionFixtures.Load(f); ok {
		return v.(*redactionFixture)
	}
	e := f.e
	u := e.addUser("redactor@example.org", accounts.RoleHandler, org.DefaultChannel)
	id := e.userIDIn(org.DefaultTenant, "redactor@example.org")
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/access", f.ownerTok, map[string]string{"user": id}, http.StatusNoContent, nil)
	rf := &redactionFixture{token: e.staffLogin(u), copies: map[string]string{}}
	redactionFixtures.Store(f, rf)
	return rf
}

// newRedaction makes a copy of case A's file in the given state: a draft
// of the owner's, or one the redactor prepared and submitted (and the
// owner approved, and released).
func (f *matrixFixture) newRedaction(state string) string {
	e := f.e
	base := "/api/v1/staff/cases/" + f.caseA + "/redactions"
	var x struct{ ID string }
	if state == "draft" {
		e.doJSON(e.staff.URL, "POST", base, f.ownerTok, map[string]string{"file_id": f.fileA}, http.StatusCreated, &x)
		return x.ID
	}
	rf := f.redactionFixture()
	e.doJSON(e.staff.URL, "POST", base, rf.token, map[string]string{"file_id": f.fileA}, http.StatusCreated, &x)
	e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/submit", rf.token, nil, http.StatusOK, nil)
	if state == "submitted" {
		return x.ID
	}
	e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/approve", f.ownerTok, nil, http.StatusOK, nil)
	if state == "approved" {
		return x.ID
	}
	e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/release", f.ownerTok, nil, http.StatusOK, nil)
	return x.ID
}

// redactionParams gives an allowed call a fresh copy in state, and a
// refused one the fixture's copy in that state.
func redactionParams(state string) func(f *matrixFixture, allowed bool) map[string]string {
	return func(f *matrixFixture, allowed bool) map[string]string {
		if allowed {
			return map[string]string{"id": f.caseA, "redaction": f.newRedaction(state)}
		}
		rf := f.redactionFixture()
		if rf.copies[state] == "" {
			rf.copies[state] = f.newRedaction(state)
		}
		return map[string]string{"id": f.caseA, "redaction": rf.copies[state]}
	}
}

func (f *matrixFixture) withRedactionRows(caseRoute map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	one := "/api/v1/staff/cases/{id}/redactions/{redaction}"
	for rt, row := range map[string]matrixRoute{
		"GET /api/v1/staff/cases/{id}/redactions": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/redactions": {policy: caseRoute, params: caseParams,
			body: func(f *matrixFixture) any { return map[string]string{"file_id": f.fileA} }},
		"GET " + one:               {policy: caseRoute, params: redactionParams("draft")},
		"PATCH " + one:             {policy: caseRoute, params: redactionParams("draft"), body: staticBody(map[string]any{"add_values": []string{"lager"}})},
		"POST " + one + "/submit":  {policy: caseRoute, params: redactionParams("draft")},
		"POST " + one + "/approve": {policy: caseRoute, params: redactionParams("submitted")},
		"POST " + one + "/reject": {policy: caseRoute, params: redactionParams("submitted"),
			body: staticBody(map[string]string{"reason": "a name is left"})},
		"POST " + one + "/release": {policy: caseRoute, params: redactionParams("approved")},
		"GET " + one + "/preview":  {policy: caseRoute, params: redactionParams("draft")},
		"GET " + one + "/download": {policy: caseRoute, params: redactionParams("released")},
	} {
		rows[rt] = row
	}
	return rows
}
